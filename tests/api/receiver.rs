//! A webhook receiver on loopback: records each delivery with the time it
//! arrived and answers from a script of statuses (the last one repeats),
//! optionally holding every answer until the test releases it.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

#[derive(Clone)]
struct Inner {
    seen: Arc<Mutex<Vec<Delivery>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
    gate: Option<Arc<Semaphore>>,
}

pub struct Receiver {
    pub url: String,
    inner: Inner,
}

impl Receiver {
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.seen.lock().unwrap().clone()
    }

    /// Lets held answers go.
    pub fn release(&self) {
        if let Some(gate) = &self.inner.gate {
            gate.add_permits(1000);
        }
    }

    /// Waits (polling, 20 s at most) until `n` deliveries arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Delivery> {
        for _ in 0..2000 {
            let seen = self.deliveries();
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {n} deliveries, got {}", self.deliveries().len());
    }
}

async fn receive(State(inner): State<Inner>, headers: HeaderMap, body: Bytes) -> StatusCode {
    inner.seen.lock().unwrap().push(Delivery {
        headers,
        body,
        at: Instant::now(),
    });
    if let Some(gate) = &inner.gate {
        let _ = gate.acquire().await.map(|p| p.forget());
    }
    let status = {
        let mut statuses = inner.statuses.lock().unwrap();
        if statuses.len() > 1 {
            statuses.remove(0)
        } else {
            statuses[0]
        }
    };
    StatusCode::from_u16(status).unwrap()
}

/// A receiver answering `statuses` in turn (the last repeats); with `hold`,
/// each answer waits for [`Receiver::release`].
pub async fn start(statuses: &[u16], hold: bool) -> Receiver {
    start_on(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        statuses,
        hold,
    )
}

pub fn start_on(listener: tokio::net::TcpListener, statuses: &[u16], hold: bool) -> Receiver {
    let inner = Inner {
        seen: Arc::default(),
        statuses: Arc::new(Mutex::new(statuses.to_vec())),
        gate: hold.then(|| Arc::new(Semaphore::new(0))),
    };
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(receive).with_state(inner.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url: format!("http://{addr}/hook"),
        inner,
    }
}
