//! The one connection `Database::open` makes before it builds a pool, so that
//! a database that refuses is reported at once, with the real cause.

use diesel::r2d2::ManageConnection;

use super::{AnyManager, CONNECT_TIMEOUT, one_line, query_cause};

/// Makes one connection outside the pool, whose `get` retries until
/// [`CONNECT_TIMEOUT`] and then says only that it timed out: a refusal (a missing
/// database or role, a wrong password, a file that is not a database) comes back
/// at once with its cause; a server that does not answer, after the timeout.
pub(super) fn first_connection(manager: AnyManager) -> Result<(), String> {
    let (sender, answer) = std::sync::mpsc::channel();
    // On its own thread, so that a silent server is given up on after the timeout.
    std::thread::Builder::new()
        .name("genworker-db-connect".into())
        .spawn(move || {
            let _ = sender.send(manager.connect().map(drop));
        })
        .map_err(|error| format!("cannot start connecting: {error}"))?;
    match answer.recv_timeout(CONNECT_TIMEOUT) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(connect_cause(&error)),
        Err(_) => Err(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())),
    }
}

/// Why a connection could not be made, on one line: the kind of failure and the
/// driver's message.
fn connect_cause(error: &diesel::r2d2::Error) -> String {
    use diesel::ConnectionError as Connect;
    match error {
        diesel::r2d2::Error::ConnectionError(error) => match error {
            Connect::BadConnection(text) => format!("connection failed: {}", one_line(text)),
            Connect::InvalidConnectionUrl(text) => {
                format!("invalid connection URL: {}", one_line(text))
            }
            Connect::CouldntSetupConfiguration(error) => {
                format!("connection setup failed: {}", query_cause(error))
            }
            other => format!("connection failed: {}", one_line(&other.to_string())),
        },
        diesel::r2d2::Error::QueryError(error) => {
            format!("connection setup failed: {}", query_cause(error))
        }
    }
}
