//! SIGINT/SIGTERM: stop the work (the process in flight is killed and the containers
//! labelled with this run's id removed); the main thread then saves what it has and
//! exits 130. A second signal exits at once.

use calibench::docker::cleanup::remove_labelled;
use calibench::docker::engine::Engine;
use calibench::exit::Exit;
use calibench::launch::interrupt;
use tokio::runtime::Runtime;

/// Installs the handler; the receiver yields once the containers are gone.
pub fn install(
    rt: &Runtime,
    engine: Option<Engine>,
    label: String,
) -> std::sync::mpsc::Receiver<()> {
    let (done, cleanup_done) = std::sync::mpsc::channel();
    rt.spawn(async move {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        interrupt();
        if let Some(engine) = engine {
            if let Err(e) = remove_labelled(&engine.docker, Some(&label)).await {
                eprintln!("warning: removing this run's containers failed ({e}); `calibench gc` removes them");
            }
        }
        let _ = done.send(());
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        std::process::exit(Exit::Interrupted.code());
    });
    cleanup_done
}
