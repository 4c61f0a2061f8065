//! Community analytics: pure computation, no I/O. The command line and the
//! pages feed it data and print or render what it returns.

pub mod openrank;
