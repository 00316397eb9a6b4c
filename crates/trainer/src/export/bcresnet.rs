//! BC-ResNet as an ONNX graph (opset 13): every batch norm that follows a convolution folded
//! into it; SubSpectral norm as a per-channel, per-band `Mul` + `Add`; SiLU as `x · σ(x)`;
//! the frequency and time averages as `ReduceMean`.

use crate::model::{BcResNetParts, ConvParts, NormParts};

use super::proto::{Attr, Msg, node, tensor};

/// Nodes and initializers of a graph under construction, with fresh names.
#[derive(Default)]
struct Builder {
    nodes: Vec<Msg>,
    inits: Vec<Msg>,
    n: usize,
}

impl Builder {
    fn name(&mut self, what: &str) -> String {
        self.n += 1;
        format!("{what}{}", self.n)
    }

    fn constant(&mut self, what: &str, dims: &[usize], data: &[f32]) -> String {
        let n = self.name(what);
        self.inits.push(tensor(&n, dims, data));
        n
    }

    /// One node with one output, named after `op`.
    fn op(&mut self, op: &str, inputs: &[&str], attrs: &[(&str, Attr)]) -> String {
        let out = self.name(&op.to_ascii_lowercase());
        self.nodes.push(node(op, &out, inputs, &[&out], attrs));
        out
    }

    /// `Conv` with `norm` (if any) folded into its weight and bias.
    fn conv(&mut self, x: &str, c: &ConvParts, norm: Option<&NormParts>) -> String {
        let mut w = c.weight.clone();
        let mut b = c.bias.clone().unwrap_or_else(|| vec![0.0; c.dims[0]]);
        if let Some(norm) = norm {
            let (scale, shift) = norm.scale_shift();
            let per = c.dims[1] * c.dims[2] * c.dims[3];
            for co in 0..c.dims[0] {
                for v in &mut w[co * per..(co + 1) * per] {
                    *v *= scale[co];
                }
                b[co] = b[co] * scale[co] + shift[co];
            }
        }
        let wn = self.constant("w", &c.dims, &w);
        let bn = self.constant("b", &[c.dims[0]], &b);
        let i = |v: &[usize]| v.iter().map(|&x| x as i64).collect::<Vec<i64>>();
        let (k, pads) = (i(&c.dims[2..]), i(&c.padding));
        let (strides, dil) = (i(&c.stride), i(&c.dilation));
        self.op(
            "Conv",
            &[x, &wn, &bn],
            &[
                ("kernel_shape", Attr::Ints(&k)),
                ("pads", Attr::Ints(&pads)),
                ("strides", Attr::Ints(&strides)),
                ("dilations", Attr::Ints(&dil)),
                ("group", Attr::Int(c.groups as i64)),
            ],
        )
    }

    fn relu(&mut self, x: &str) -> String {
        self.op("Relu", &[x], &[])
    }

    fn mean(&mut self, x: &str, axis: i64) -> String {
        self.op(
            "ReduceMean",
            &[x],
            &[("axes", Attr::Ints(&[axis])), ("keepdims", Attr::Int(1))],
        )
    }
}

/// SubSpectral norm at inference as `[1, C, F, 1]` scale and shift: channel `c`'s band `s`
/// (rows `s·F/S … (s+1)·F/S`) takes the batch norm's channel `c·S + s`.
fn sub_spectral(
    norm: &NormParts,
    channels: usize,
    sub_bands: usize,
    bands: usize,
) -> [Vec<f32>; 2] {
    let (scale, shift) = norm.scale_shift();
    let rows = (bands / sub_bands).max(1);
    let spread = |v: &[f32]| -> Vec<f32> {
        (0..channels * bands)
            .map(|i| v[(i / bands) * sub_bands + ((i % bands) / rows).min(sub_bands - 1)])
            .collect()
    };
    [spread(&scale), spread(&shift)]
}

/// The graph of `parts` from the normalised input `x` (`[N, 1, mels, frames]`, `mels` rows)
/// to `logits` (`[N, classes]`): nodes and initializers.
pub fn graph(parts: &BcResNetParts, x: &str, mels: usize) -> (Vec<Msg>, Vec<Msg>) {
    let mut g = Builder::default();
    let (stem, stem_norm) = &parts.stem;
    let mut bands = stem.out_size(0, mels);
    let s = g.conv(x, stem, Some(stem_norm));
    let mut cur = g.relu(&s);
    for b in &parts.blocks {
        let (x, shortcut) = match &b.transition {
            Some((conv, norm)) => {
                let t = g.conv(&cur, conv, Some(norm));
                (g.relu(&t), None)
            }
            None => (cur.clone(), Some(cur.clone())),
        };
        let channels = b.freq.dims[0];
        let f = g.conv(&x, &b.freq, None);
        bands = b.freq.out_size(0, bands);
        let [scale, shift] = sub_spectral(&b.freq_norm, channels, b.sub_bands, bands);
        let sc = g.constant("ssn_scale", &[1, channels, bands, 1], &scale);
        let sh = g.constant("ssn_shift", &[1, channels, bands, 1], &shift);
        let f = g.op("Mul", &[&f, &sc], &[]);
        let f2 = g.op("Add", &[&f, &sh], &[]);
        let pooled = g.mean(&f2, 2);
        let (time, time_norm) = &b.time;
        let t = g.conv(&pooled, time, Some(time_norm));
        let sig = g.op("Sigmoid", &[&t], &[]);
        let t = g.op("Mul", &[&t, &sig], &[]);
        let f1 = g.conv(&t, &b.point, None);
        let y = g.op("Add", &[&f2, &f1], &[]);
        let y = match shortcut {
            Some(s) => g.op("Add", &[&y, &s], &[]),
            None => y,
        };
        cur = g.relu(&y);
    }
    let x = g.conv(&cur, &parts.head_dw, None);
    let (pw, pw_norm) = &parts.head_pw;
    let x = g.conv(&x, pw, Some(pw_norm));
    let x = g.relu(&x);
    let x = g.mean(&x, 3);
    let x = g.conv(&x, &parts.classifier, None);
    g.nodes.push(node(
        "Flatten",
        "flatten",
        &[&x],
        &["logits"],
        &[("axis", Attr::Int(1))],
    ));
    (g.nodes, g.inits)
}
