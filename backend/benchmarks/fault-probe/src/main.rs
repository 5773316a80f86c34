//! A fault on request, for the artifact tests: `GET /panic` panics inside the handler (as an
//! index out of bounds would), every other request answers `200` with the process id, so a
//! test can tell that the same process answered before and after the panic.

use lambda_http::{service_fn, Body, Error, Request, Response};

async fn handle(request: Request) -> Result<Response<Body>, Error> {
    let faults: [u32; 0] = [];
    let index = usize::from(request.uri().path() == "/panic");
    if index > 0 {
        // Indexing past the end: the panic a bug would cause.
        let _ = faults[index - 1];
    }
    Ok(Response::new(Body::from(format!(
        "pid {}",
        std::process::id()
    ))))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    ferrule_http::run(service_fn(handle)).await
}
