//! Pieces shared by the pages. They never import a page: what two pages or a page and
//! the frame share lives here.

pub mod auth;
pub mod connection;
pub mod icon;
pub mod island;
pub mod labels;
pub mod language;
pub mod layout;
pub mod notice;
pub mod petition_form;
pub mod report_labels;
pub mod status;
pub mod title;
