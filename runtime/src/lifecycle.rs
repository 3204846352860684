//! Where a node is in its life — starting, ready, draining — for the load
//! balancer's readiness probe (`GET /system/ready`) and for an orderly
//! stop: on SIGTERM the node reports not ready, keeps serving for the
//! drain period so the balancer notices, stops accepting, finishes the
//! requests and the deliveries it holds, and exits.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A node's readiness and its stop signal.
#[derive(Debug)]
pub struct Lifecycle {
    ready: AtomicBool,
    stopping: watch::Sender<bool>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            ready: AtomicBool::new(false),
            stopping: watch::Sender::new(false),
            worker: Mutex::default(),
        }
    }
}

impl Lifecycle {
    /// Whether the node takes traffic: serving and not draining.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Marks the node as serving (when its listener accepts).
    pub fn set_ready(&self) {
        if !*self.stopping.borrow() {
            self.ready.store(true, Ordering::Relaxed);
        }
    }

    /// Starts draining: not ready any more, and background work is told to
    /// stop taking new work.
    pub fn stop(&self) {
        self.ready.store(false, Ordering::Relaxed);
        self.stopping.send_replace(true);
    }

    /// A receiver that sees `true` once [`Lifecycle::stop`] was called.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Keeps the delivery loop's task, to wait for it when stopping.
    pub fn hold_worker(&self, task: JoinHandle<()>) {
        *self
            .worker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(task);
    }

    /// The delivery loop's task, once.
    pub fn take_worker(&self) -> Option<JoinHandle<()>> {
        self.worker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}
