//! Rules of the auth server, free of HTTP and SQL.
pub mod page;
pub mod tenant;
