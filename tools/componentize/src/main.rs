//! `sluice-componentize CORE.wasm OUT.wasm`: wraps a core module built for
//! `wasm32-wasip1` (with `wit-bindgen`'s component-type section) into a
//! component, adapting WASI preview 1 to preview 2 with the reactor adapter
//! that matches wasmtime 48.
//!
//! Developers with the `wasm32-wasip2` target do not need it: that target
//! already emits components. It exists for machines whose only way to build
//! wasm is `-Zbuild-std` for `wasm32-wasip1` (see `scripts/build-actions.sh`).

use anyhow::{Context, bail};
use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
use wit_component::ComponentEncoder;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        bail!("usage: sluice-componentize CORE.wasm OUT.wasm");
    };
    let module = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    let component = ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .with_context(|| format!("{input} is not a core module with a component-type section"))?
        .adapter(
            "wasi_snapshot_preview1",
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )?
        .encode()
        .context("encoding the component")?;
    std::fs::write(output, component).with_context(|| format!("writing {output}"))?;
    Ok(())
}
