//! The public area: the pages citizens use (the front door, the guide, the online
//! petition form, tracking a petition) and the shell's own pages (login, offline, not
//! found).

pub mod guide;
pub mod home;
pub mod login;
pub mod not_found;
pub mod offline;
pub mod petition;
pub mod track;
