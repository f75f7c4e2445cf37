//! `minqing-bundle <pkg dir>`: see the library's documentation.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(pkg), None) = (args.next(), args.next()) else {
        eprintln!("usage: minqing-bundle <site pkg dir>, for example target/site/pkg");
        return ExitCode::from(2);
    };
    match bundle::site::bundle_site(&PathBuf::from(pkg), bundle::plan::LAYERS) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("minqing-bundle: {error}");
            ExitCode::FAILURE
        }
    }
}
