//! The part of the ONNX protobuf schema (`onnx.proto`, IR version 8) that an exported
//! keyword spotter needs, written with the protobuf wire format by hand: varints and
//! length-delimited fields. Field numbers are those of `onnx/onnx.proto`.

/// A protobuf message being written.
#[derive(Default)]
pub struct Msg(Vec<u8>);

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl Msg {
    fn key(&mut self, field: u32, wire: u8) {
        varint(&mut self.0, ((field as u64) << 3) | wire as u64);
    }
    /// An `int64`/`int32`/enum field.
    pub fn int(&mut self, field: u32, v: i64) -> &mut Self {
        self.key(field, 0);
        varint(&mut self.0, v as u64);
        self
    }
    /// A `bytes` field.
    pub fn bytes(&mut self, field: u32, v: &[u8]) -> &mut Self {
        self.key(field, 2);
        varint(&mut self.0, v.len() as u64);
        self.0.extend_from_slice(v);
        self
    }
    /// A `string` field.
    pub fn str(&mut self, field: u32, v: &str) -> &mut Self {
        self.bytes(field, v.as_bytes())
    }
    /// An embedded message.
    pub fn msg(&mut self, field: u32, m: &Msg) -> &mut Self {
        self.bytes(field, &m.0)
    }
    /// The encoded message.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// `TensorProto.DataType.FLOAT`.
pub const FLOAT: i64 = 1;

/// A float `TensorProto` initializer (`dims` = 1, `data_type` = 2, `name` = 8, `raw_data` = 9).
pub fn tensor(name: &str, dims: &[usize], data: &[f32]) -> Msg {
    let mut m = Msg::default();
    for &d in dims {
        m.int(1, d as i64);
    }
    m.int(2, FLOAT).str(8, name);
    let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    m.bytes(9, &raw);
    m
}

/// An attribute value.
pub enum Attr<'a> {
    /// `INT` (type 2, field `i` = 3).
    Int(i64),
    /// `INTS` (type 7, field `ints` = 8).
    Ints(&'a [i64]),
}

/// A `NodeProto` (`input` = 1, `output` = 2, `name` = 3, `op_type` = 4, `attribute` = 5).
pub fn node(
    op: &str,
    name: &str,
    inputs: &[&str],
    outputs: &[&str],
    attrs: &[(&str, Attr)],
) -> Msg {
    let mut m = Msg::default();
    for i in inputs {
        m.str(1, i);
    }
    for o in outputs {
        m.str(2, o);
    }
    m.str(3, name).str(4, op);
    for (n, a) in attrs {
        let mut at = Msg::default();
        at.str(1, n);
        match a {
            Attr::Int(v) => {
                at.int(3, *v).int(20, 2);
            }
            Attr::Ints(vs) => {
                for v in *vs {
                    at.int(8, *v);
                }
                at.int(20, 7);
            }
        }
        m.msg(5, &at);
    }
    m
}

/// A dimension of a value's shape: fixed, or named (dynamic).
pub enum Dim<'a> {
    /// `dim_value` = 1.
    Fixed(usize),
    /// `dim_param` = 2.
    Named(&'a str),
}

/// A float `ValueInfoProto` (`name` = 1, `type` = 2 → `tensor_type` = 1 → `elem_type` = 1,
/// `shape` = 2 → `dim` = 1), with a `doc_string` (= 3).
pub fn value_info(name: &str, dims: &[Dim], doc: &str) -> Msg {
    let mut shape = Msg::default();
    for d in dims {
        let mut dm = Msg::default();
        match d {
            Dim::Fixed(v) => dm.int(1, *v as i64),
            Dim::Named(s) => dm.str(2, s),
        };
        shape.msg(1, &dm);
    }
    let mut tt = Msg::default();
    tt.int(1, FLOAT).msg(2, &shape);
    let mut ty = Msg::default();
    ty.msg(1, &tt);
    let mut m = Msg::default();
    m.str(1, name).msg(2, &ty).str(3, doc);
    m
}

/// A `ModelProto` (`ir_version` = 1, `producer_name` = 2, `producer_version` = 3, `graph` = 7,
/// `opset_import` = 8 → `domain` = 1, `version` = 2, `doc_string` = 6) around a `GraphProto`
/// (`node` = 1, `name` = 2, `initializer` = 5, `doc_string` = 10, `input` = 11, `output` = 12).
pub struct Graph {
    /// Nodes in topological order.
    pub nodes: Vec<Msg>,
    /// Weights.
    pub initializers: Vec<Msg>,
    /// Graph inputs.
    pub inputs: Vec<Msg>,
    /// Graph outputs.
    pub outputs: Vec<Msg>,
}

impl Graph {
    /// Encodes the model: IR version 8, default-domain opset `opset`.
    pub fn encode(&self, name: &str, doc: &str, opset: i64) -> Vec<u8> {
        let mut g = Msg::default();
        for n in &self.nodes {
            g.msg(1, n);
        }
        g.str(2, name);
        for t in &self.initializers {
            g.msg(5, t);
        }
        g.str(10, doc);
        for i in &self.inputs {
            g.msg(11, i);
        }
        for o in &self.outputs {
            g.msg(12, o);
        }
        let mut op = Msg::default();
        op.str(1, "").int(2, opset);
        let mut m = Msg::default();
        m.int(1, 8)
            .str(2, "randommix")
            .str(3, env!("CARGO_PKG_VERSION"))
            .str(6, doc)
            .msg(7, &g)
            .msg(8, &op);
        m.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_fields_follow_the_wire_format() {
        let mut m = Msg::default();
        m.int(1, 300).str(2, "ab");
        // key 1|varint = 0x08, 300 = 0xAC 0x02; key 2|len = 0x12, 2, 'a', 'b'.
        assert_eq!(m.into_bytes(), vec![0x08, 0xAC, 0x02, 0x12, 2, b'a', b'b']);
        // Negative int64 values take ten bytes (two's complement).
        let mut n = Msg::default();
        n.int(1, -1);
        assert_eq!(n.into_bytes().len(), 11);
    }
}
