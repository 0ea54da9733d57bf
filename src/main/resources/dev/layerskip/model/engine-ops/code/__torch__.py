class EngineOps(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  _is_full_backward_hook : Optional[bool]
  def forward(self: __torch__.EngineOps,
    x: Tensor) -> Tensor:
    return torch.to(x, 15)
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
