class EngineOps(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  def forward(self: __torch__.EngineOps,
    x: Tensor) -> Tensor:
    return torch.to(x, 15)
  def bf16_view(self: __torch__.EngineOps,
    x: Tensor) -> Tensor:
    y = torch.empty([0], dtype=15, device=ops.prim.device(x))
    return torch.set_(y, x, 0, torch.size(x), torch.stride(x))
  def linear(self: __torch__.EngineOps,
    x: Tensor,
    w: Tensor) -> Tensor:
    _0 = torch.linear(torch.to(x, ops.prim.dtype(w)), w)
    return torch.to(_0, ops.prim.dtype(x))
  def pack(self: __torch__.EngineOps,
    w: Tensor) -> Tensor:
    return ops.mkldnn._reorder_linear_weight(w, None)
  def linear_packed(self: __torch__.EngineOps,
    x: Tensor,
    w: Tensor) -> Tensor:
    _1 = annotate(List[Optional[number]], [])
    _2 = ops.mkldnn._linear_pointwise(torch.to(x, ops.prim.dtype(w)), w, None, "none", _1, None)
    return torch.to(_2, ops.prim.dtype(x))
  def linear_int8(self: __torch__.EngineOps,
    x: Tensor,
    q: Tensor,
    scales: Tensor) -> Tensor:
    _i8 = torch._weight_int8pack_mm(torch.squeeze(x, 0), q, scales)
    return torch.unsqueeze(_i8, 0)
  def project(self: __torch__.EngineOps,
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    if torch.eq(kind, 2):
      y = (self).project_int8(x, w)
    else:
      w0 = w[0]
      rows = torch.floordiv(torch.numel(x), torch.size(x, -1))
      if torch.eq(kind, 1):
        _3 = annotate(List[Optional[number]], [])
        y = ops.mkldnn._linear_pointwise(torch.to(x, ops.prim.dtype(w0)), w0, None, "none", _3, None)
      else:
        if torch.__and__(torch.__and__(torch.eq(ops.prim.dtype(w0), 5), torch.__not__(ops.prim.is_cuda(w0))), torch.ge(rows, 128)):
          _4 = annotate(List[Optional[number]], [])
          w32 = ops.mkldnn._reorder_linear_weight(torch.to(w0, 6), None)
          y = ops.mkldnn._linear_pointwise(torch.to(x, 6), w32, None, "none", _4, None)
        else:
          y = torch.linear(torch.to(x, ops.prim.dtype(w0)), w0)
    return torch.to(y, ops.prim.dtype(x))
  def project_int8(self: __torch__.EngineOps,
    x: Tensor,
    w: List[Tensor]) -> Tensor:
    k = torch.size(x, -1)
    meta = w[1]
    n = torch.size(meta, 1)
    x2 = torch.reshape(torch.to(x, 6), [-1, k])
    rows = torch.size(x2, 0)
    amax = torch.clamp_min(torch.amax(torch.abs(x2), [1], True), 1.0e-30)
    lo = torch.full([1, 1], -1., dtype=6, layout=None, device=ops.prim.device(x), pin_memory=None)
    hi = torch.full([1, 1], 1., dtype=6, layout=None, device=ops.prim.device(x), pin_memory=None)
    pin = torch.cat([lo, hi, torch.zeros([1, torch.sub(k, 2)], dtype=6, layout=None, device=ops.prim.device(x), pin_memory=None)], 1)
    xin = torch.cat([torch.div(x2, amax), pin], 0)
    stand = torch.expand(torch.zeros([1, 1], dtype=1, layout=None, device=ops.prim.device(x), pin_memory=None), [n, k])
    bias = torch.zeros([n], dtype=6, layout=None, device=ops.prim.device(x), pin_memory=None)
    y = torch.fbgemm_linear_int8_weight_fp32_activation(xin, stand, w[0], torch.to(torch.select(meta, 0, 1), 3), 1., 0, bias)
    y = torch.mul(torch.mul(torch.narrow(y, 0, 0, rows), amax), torch.select(meta, 0, 0))
    shape = torch.slice(torch.size(x), 0, -1)
    _5 = torch.append(shape, n)
    return torch.reshape(y, shape)
  def int8_rows(self: __torch__.EngineOps,
    w: Tensor,
    qmax: int) -> List[Tensor]:
    w32 = torch.to(w, 6)
    amax = torch.amax(torch.abs(w32), [1])
    s = torch.div(amax, qmax)
    s = torch.where(torch.gt(s, 0.), s, torch.ones_like(s))
    qf = torch.clamp(torch.round(torch.div(w32, torch.unsqueeze(s, 1))), torch.neg(qmax), qmax)
    return [torch.to(qf, 1), s, amax, torch.sum(qf, [1])]
  def int8_row_sums(self: __torch__.EngineOps,
    q: Tensor) -> Tensor:
    return torch.sum(torch.to(q, 6), [1])
  def int8_pack(self: __torch__.EngineOps,
    q: Tensor,
    s: Tensor,
    col: Tensor) -> List[Tensor]:
    return [torch.fbgemm_pack_quantized_matrix(q), torch.stack([s, col])]
  def rms_norm(self: __torch__.EngineOps,
    x: Tensor,
    nw: Tensor,
    eps: float) -> Tensor:
    return torch.rms_norm(x, [torch.size(x, -1)], nw, eps)
  def norm_project(self: __torch__.EngineOps,
    x: Tensor,
    nw: Tensor,
    w: List[Tensor],
    eps: float,
    kind: int) -> Tensor:
    return (self).project((self).rms_norm(x, nw, eps), w, kind)
  def attention_in(self: __torch__.EngineOps,
    x: Tensor,
    nw: Tensor,
    w: List[Tensor],
    eps: float,
    kind: int,
    dims: List[int]) -> List[Tensor]:
    heads = dims[0]
    kv = dims[1]
    d = dims[2]
    proj = (self).norm_project(x, nw, w, eps, kind)
    proj = torch.reshape(proj, [torch.size(x, 0), torch.size(x, 1), heads + 2 * kv, d])
    qk = torch.narrow(proj, 2, 0, heads + kv)
    v = torch.transpose(torch.narrow(proj, 2, heads + kv, kv), 1, 2)
    return [qk, v]
  def rope(self: __torch__.EngineOps,
    x: Tensor,
    cos: Tensor,
    sin: Tensor,
    sign: Tensor) -> Tensor:
    half = torch.floordiv(torch.size(x, -1), 2)
    return torch.addcmul(torch.mul(x, cos), torch.roll(x, [half], [-1]), torch.mul(sin, sign))
  def queries_keys(self: __torch__.EngineOps,
    qk: Tensor,
    dims: List[int],
    scale: float) -> List[Tensor]:
    heads = dims[0]
    kv = dims[1]
    d = dims[2]
    b = torch.size(qk, 0)
    t = torch.size(qk, 1)
    g = torch.floordiv(heads, kv)
    q = torch.mul(torch.narrow(qk, 2, 0, heads), scale)
    q = torch.reshape(torch.permute(torch.reshape(q, [b, t, kv, g, d]), [0, 2, 3, 1, 4]), [b, kv, g * t, d])
    k = torch.transpose(torch.narrow(qk, 2, heads, kv), 1, 2)
    return [q, k]
  def scores(self: __torch__.EngineOps,
    q: Tensor,
    keys: Tensor) -> Tensor:
    return torch.matmul(q, torch.transpose(keys, 2, 3))
  def attention_out(self: __torch__.EngineOps,
    scores: Tensor,
    values: Tensor,
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    b = torch.size(x, 0)
    t = torch.size(x, 1)
    kv = torch.size(values, 1)
    d = torch.size(values, 3)
    g = torch.floordiv(torch.size(scores, 2), t)
    context = torch.matmul(torch.softmax(scores, -1), values)
    return (self).heads_out(torch.reshape(context, [b, kv, g, t, d]), x, w, kind)
  def heads_out(self: __torch__.EngineOps,
    context: Tensor,
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    b = torch.size(context, 0)
    kv = torch.size(context, 1)
    g = torch.size(context, 2)
    t = torch.size(context, 3)
    d = torch.size(context, 4)
    joined = torch.reshape(torch.permute(context, [0, 3, 1, 2, 4]), [b, t, kv * g * d])
    return torch.add(x, (self).project(joined, w, kind))
  def mlp_block(self: __torch__.EngineOps,
    h: Tensor,
    nw: Tensor,
    gate_up: List[Tensor],
    down: List[Tensor],
    eps: float,
    kind: int) -> Tensor:
    gu = (self).norm_project(h, nw, gate_up, eps, kind)
    i = torch.floordiv(torch.size(gu, -1), 2)
    gate = torch.narrow(gu, -1, 0, i)
    act = torch.mul(torch.silu(gate), torch.narrow(gu, -1, i, i))
    return torch.add(h, (self).project(act, down, kind))
  def attend_masked(self: __torch__.EngineOps,
    q: Tensor,
    keys: Tensor,
    values: Tensor,
    mask: Tensor,
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    b = torch.size(x, 0)
    t = torch.size(x, 1)
    kv = torch.size(keys, 1)
    total = torch.size(keys, 2)
    scores = (self).scores(q, keys)
    gt = torch.size(scores, 2)
    g = torch.floordiv(gt, t)
    masked = torch.add(torch.reshape(scores, [b, kv, g, t, total]), mask)
    return (self).attention_out(torch.reshape(masked, [b, kv, gt, total]), values, x, w, kind)
  def attend(self: __torch__.EngineOps,
    q: Tensor,
    keys: Tensor,
    values: Tensor,
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    return (self).attention_out((self).scores(q, keys), values, x, w, kind)
  def cache_write_read(self: __torch__.EngineOps,
    k: Tensor,
    v: Tensor,
    keys: Tensor,
    values: Tensor,
    at: List[int]) -> List[Tensor]:
    lane = at[0]
    lanes = at[1]
    start = at[2]
    t = torch.size(k, 2)
    kl = torch.narrow(keys, 0, lane, lanes)
    vl = torch.narrow(values, 0, lane, lanes)
    _0 = torch.copy_(torch.narrow(kl, 2, start, t), k)
    _1 = torch.copy_(torch.narrow(vl, 2, start, t), v)
    kr = torch.to(torch.narrow(kl, 2, 0, start + t), ops.prim.dtype(k))
    vr = torch.to(torch.narrow(vl, 2, 0, start + t), ops.prim.dtype(v))
    return [kr, vr]
  def cache_attend(self: __torch__.EngineOps,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    keys: Tensor,
    values: Tensor,
    at: List[int],
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    kv = (self).cache_write_read(k, v, keys, values, at)
    return (self).attend_causal(q, kv[0], kv[1], at[2], x, w, kind)
  def cache_attend_masked(self: __torch__.EngineOps,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    keys: Tensor,
    values: Tensor,
    at: List[int],
    mask: Tensor,
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    kv = (self).cache_write_read(k, v, keys, values, at)
    if torch.le(torch.size(x, 1), 64):
      _r = (self).attend_causal(q, kv[0], kv[1], at[2], x, w, kind)
    else:
      _r = (self).attend_masked(q, kv[0], kv[1], mask, x, w, kind)
    return _r
  def attend_causal(self: __torch__.EngineOps,
    q: Tensor,
    keys: Tensor,
    values: Tensor,
    start: int,
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    b = torch.size(x, 0)
    t = torch.size(x, 1)
    kv = torch.size(keys, 1)
    d = torch.size(values, 3)
    g = torch.floordiv(torch.size(q, 2), t)
    q5 = torch.reshape(q, [b, kv, g, t, d])
    rows = annotate(List[Tensor], [])
    for i in range(t):
      n = torch.add(torch.add(start, i), 1)
      qi = torch.contiguous(torch.select(q5, 3, i))
      ki = torch.narrow(keys, 2, 0, n)
      vi = torch.narrow(values, 2, 0, n)
      ci = torch.matmul(torch.softmax(torch.matmul(qi, torch.transpose(ki, 2, 3)), -1), vi)
      _0 = torch.append(rows, ci)
    return (self).heads_out(torch.stack(rows, 3), x, w, kind)
  def cache_attend_rows(self: __torch__.EngineOps,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    keys: Tensor,
    values: Tensor,
    lanes: Tensor,
    slots: Tensor,
    at: List[int],
    mask: Tensor,
    x: Tensor,
    w: List[Tensor],
    kind: int) -> Tensor:
    first = at[0]
    n = at[1]
    total = at[2]
    where = annotate(List[Optional[Tensor]], [lanes, None, slots])
    _0 = torch.index_put_(keys, where, torch.to(torch.transpose(k, 1, 2), ops.prim.dtype(keys)))
    _1 = torch.index_put_(values, where, torch.to(torch.transpose(v, 1, 2), ops.prim.dtype(values)))
    kr = torch.to(torch.narrow(torch.narrow(keys, 0, first, n), 2, 0, total), ops.prim.dtype(k))
    vr = torch.to(torch.narrow(torch.narrow(values, 0, first, n), 2, 0, total), ops.prim.dtype(v))
    return (self).attend_masked(q, kr, vr, mask, x, w, kind)
