// Causal self-attention over a KV cache, two ways with identical semantics: the fused com.microsoft
// GroupQueryAttention (what the real exports use; CPU runs it in fp32 and fp16, CUDA only in fp16/bf16) and plain
// ONNX ops (runs on every EP in any dtype; also an independent check of the fused graph in tests).
import { float, MS_DOMAIN } from './onnx-builder.js';
import type { DataType, GraphBuilder } from './onnx-builder.js';
import type { MaskContext } from './lm-common.js';

/** Which attention implementation a language model uses. */
export type AttentionKind = 'gqa' | 'standard';

/** One layer's attention inputs. */
export interface AttentionSpec {
  /** float32 [B, S, (heads + 2·kvHeads)·headDim]: packed query, key, value. */
  qkv: string;
  pastKey: string;
  pastValue: string;
  /** Output names for the grown cache. */
  presentKey: string;
  presentValue: string;
  heads: number;
  kvHeads: number;
  headDim: number;
  cacheType: DataType;
  /**
   * Half-split RoPE tables [maxPositions, headDim/2]: in `cacheType` for GroupQueryAttention, float32 for plain ops;
   * absent for learned positions (Turbo).
   */
  rotary?: { cos: string; sin: string };
  ctx: MaskContext;
}

/** Attention output, float32 [B, S, heads·headDim]. */
export function attention(g: GraphBuilder, kind: AttentionKind, spec: AttentionSpec): string {
  return kind === 'gqa' ? groupQueryAttention(g, spec) : standardAttention(g, spec);
}

// With a position_ids input the rotation happens before the fused op (com.microsoft RotaryEmbedding): ORT 1.30's
// CPU GroupQueryAttention ignores its own position_ids input during a prefill and counts from seqlens_k instead.
function groupQueryAttention(g: GraphBuilder, a: AttentionSpec): string {
  const half = a.cacheType === 'float16';
  const qkv = half ? g.op('Cast', [a.qkv], { to: 10 }) : a.qkv;
  const internalRotary = a.rotary !== undefined && !a.ctx.positionsFromInput;
  let qkvInputs = [qkv, '', ''];
  if (a.rotary && a.ctx.positionsFromInput) {
    const q = a.heads * a.headDim;
    const kv = a.kvHeads * a.headDim;
    const [query, key, value] = g.node('Split', [qkv, g.i64([q, kv, kv])], { outputs: 3, attributes: { axis: 2 } });
    const rotate = (x: string, heads: number) =>
      g.ms('RotaryEmbedding', [x, a.ctx.positions, a.rotary!.cos, a.rotary!.sin], { interleaved: 0, num_heads: heads });
    qkvInputs = [rotate(query!, a.heads), rotate(key!, a.kvHeads), value!];
  }
  const inputs = [...qkvInputs, a.pastKey, a.pastValue, a.ctx.seqlensK, a.ctx.totalLength];
  if (internalRotary) inputs.push(a.rotary!.cos, a.rotary!.sin);
  const [out] = g.node('GroupQueryAttention', inputs, {
    domain: MS_DOMAIN,
    outputs: [`${a.presentKey}_attn`, a.presentKey, a.presentValue],
    attributes: {
      num_heads: a.heads,
      kv_num_heads: a.kvHeads,
      do_rotary: internalRotary ? 1 : 0,
      rotary_interleaved: 0,
      scale: float(1 / Math.sqrt(a.headDim)),
    },
  });
  return half ? g.op('Cast', [out!], { to: 1 }) : out!;
}

function standardAttention(g: GraphBuilder, a: AttentionSpec): string {
  if (a.kvHeads !== a.heads) throw new Error('standard attention expects kvHeads === heads');
  const width = a.heads * a.headDim;
  const [q, k, v] = g.node('Split', [a.qkv, g.i64([width, width, width])], { outputs: 3, attributes: { axis: 2 } });
  const toHeads = (x: string) => g.op('Reshape', [x, g.i64([0, 0, a.heads, a.headDim])]);
  let q4 = toHeads(q!);
  let k4 = toHeads(k!);
  if (a.rotary) {
    q4 = applyRotary(g, q4, a);
    k4 = applyRotary(g, k4, a);
  }
  const bnsh = (x: string) => g.op('Transpose', [x], { perm: [0, 2, 1, 3] });
  const grow = (past: string, fresh: string, name: string) => {
    const cast = a.cacheType === 'float16' ? g.op('Cast', [fresh], { to: 10 }) : fresh;
    const present = g.op('Concat', [past, cast], { axis: 2 }, name);
    return a.cacheType === 'float16' ? g.op('Cast', [present], { to: 1 }) : present;
  };
  const keys = grow(a.pastKey, bnsh(k4), a.presentKey);
  const values = grow(a.pastValue, bnsh(toHeads(v!)), a.presentValue);
  const scores = g.op('Mul', [g.op('MatMul', [bnsh(q4), g.op('Transpose', [keys], { perm: [0, 1, 3, 2] })]), g.f32(1 / Math.sqrt(a.headDim))]);
  const probs = g.op('Softmax', [g.op('Add', [scores, causalBias(g, a.ctx)])], { axis: -1 });
  const context = g.op('Transpose', [g.op('MatMul', [probs, values])], { perm: [0, 2, 1, 3] });
  return g.op('Reshape', [context, g.i64([0, 0, width])]);
}

// x [B, S, N, D] rotated by the half-split convention: (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin).
function applyRotary(g: GraphBuilder, x: string, a: AttentionSpec): string {
  const rotary = a.rotary!;
  const half = a.headDim / 2;
  const table = (t: string) => g.op('Unsqueeze', [g.op('Gather', [t, a.ctx.positions], { axis: 0 }), g.i64([2])]);
  const cos = table(rotary.cos);
  const sin = table(rotary.sin);
  const x1 = g.op('Slice', [x, g.i64([0]), g.i64([half]), g.i64([3])]);
  const x2 = g.op('Slice', [x, g.i64([half]), g.i64([a.headDim]), g.i64([3])]);
  const first = g.op('Sub', [g.op('Mul', [x1, cos]), g.op('Mul', [x2, sin])]);
  const second = g.op('Add', [g.op('Mul', [x2, cos]), g.op('Mul', [x1, sin])]);
  return g.op('Concat', [first, second], { axis: 3 });
}

// [B, 1, S, T] additive bias: 0 where key j is attended (mask set and j ≤ the query's own index), −1e9 elsewhere.
const biasCache = new WeakMap<MaskContext, string>();
function causalBias(g: GraphBuilder, ctx: MaskContext): string {
  const cached = biasCache.get(ctx);
  if (cached !== undefined) return cached;
  const bias = g.scope('mask', () => {
    const total = g.op('Cast', [ctx.totalLength], { to: 7 });
    const keyIndex = g.op('Range', [g.i64(0), total, g.i64(1)]);
    const newTokens = g.op('Gather', [g.op('Shape', [ctx.attendedLength]), g.i64(1)], { axis: 0 });
    const queryIndex = g.op('Range', [g.op('Sub', [total, newTokens]), total, g.i64(1)]);
    const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [keyIndex, g.i64([0])]), g.op('Unsqueeze', [queryIndex, g.i64([1])])]);
    const attended = g.op('Cast', [g.op('Unsqueeze', [ctx.mask, g.i64([1, 2])])], { to: 9 });
    return g.op('Where', [g.op('And', [causal, attended]), g.f32(0), g.f32(-1e9)]);
  });
  biasCache.set(ctx, bias);
  return bias;
}
