package dev.layerskip.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * PyTorch operations that DJL 0.36's Java API does not expose, reached through a tiny TorchScript
 * module loaded with DJL's own {@code PtSymbolBlock}. Its source is text in the jar
 * ({@code dev/layerskip/model/engine-ops/code/__torch__.py}, compiled by the loading libtorch), zipped
 * with PyTorch's two-line description of the module ({@code scripts/torchscript/make_engine_ops.py}):
 * <ul>
 *   <li><b>BF16 tensors.</b> DJL's JNI has no case for bfloat16 when it maps Java types to
 *       PyTorch's, so {@code toType(BFLOAT16)} and {@code NDManager.create(..., BFLOAT16)} abort the
 *       JVM. A tensor that already is BF16 passes through every other call unchanged (DJL reports its
 *       type as {@link DataType#UNKNOWN}); {@link #toBf16} makes one.
 *   <li><b>oneDNN's prepacked weights.</b> PyTorch's CPU products re-lay out a weight on every call,
 *       so a product over several rows costs several one-row products. {@link #pack} lays a FLOAT32
 *       or BF16 weight out once for oneDNN and {@link #linearPacked} multiplies by it: about one
 *       one-row cost up to ~16 rows, and rows that are bit-identical whatever the row count, which
 *       keeps self-speculative verification exactly equal to one-token decoding.
 *   <li><b>FBGEMM's int8 GEMM.</b> {@link #int8Rows} quantizes rows to int8 and {@link #int8Pack} lays them out
 *       once for FBGEMM; the helper's {@code project_int8} multiplies with each input row quantized over its own
 *       range ({@link Int8Weights}).
 * </ul>
 * Packed weights only serve products: never read, save or train them.
 */
public final class EngineOps {

    private static final String RESOURCE = "/dev/layerskip/model/engine-ops/";
    /** The parts of the TorchScript archive: the module's source (text) and PyTorch's description of it. */
    private static final String[] PARTS = {"version", "data.pkl", "constants.pkl", "code/__torch__.py"};
    private static volatile PtSymbolBlock module;

    private EngineOps() {}

    /**
     * @param array an array
     * @return whether it holds BF16 values (DJL reports them as UNKNOWN)
     */
    public static boolean isBf16(NDArray array) {
        return array.getDataType() == DataType.UNKNOWN;
    }

    /**
     * @param array an array
     * @return the bytes its elements hold, from its shape and element type (BF16: 2, though DJL reports size 0)
     */
    static long bytes(NDArray array) {
        return array.size() * (isBf16(array) ? 2 : array.getDataType().getNumOfBytes());
    }

    /**
     * Rounds a FLOAT32 (or FLOAT16) array to BF16 (to nearest even, as PyTorch does).
     *
     * @param x the values
     * @return a new BF16 array, attached to x's manager
     */
    public static NDArray toBf16(NDArray x) {
        return ordinary("forward", x);
    }

    /**
     * A BF16 view of 16-bit patterns, sharing their memory (no copy): how BF16 checkpoint data enters
     * PyTorch, since DJL can only make FLOAT16-typed arrays from 16-bit buffers.
     *
     * @param bits BF16 bit patterns typed FLOAT16 (e.g. an alias over a mapped file), contiguous
     * @return a BF16 array over the same memory, attached to bits' manager; it must not outlive the memory
     */
    public static NDArray bf16View(NDArray bits) {
        return ordinary("bf16_view", bits);
    }

    /**
     * Lays a weight out for oneDNN's products (CPU only; FLOAT32, or BF16 on CPUs with AVX-512).
     *
     * @param w a FLOAT32 or BF16 weight, [out, in]
     * @return the packed weight, same shape and type, attached to w's manager
     * @throws ai.djl.engine.EngineException if the engine cannot pack this type on this CPU
     */
    public static NDArray pack(NDArray w) {
        return ordinary("pack", w);
    }

    /**
     * {@code x · wᵀ} in w's precision with x cast down and the result cast back, in one native call.
     *
     * @param x the input, [..., in], FLOAT32
     * @param w the weight, [out, in], BF16 (or any type PyTorch multiplies)
     * @return [..., out] in x's type, attached to x's manager
     */
    public static NDArray linear(NDArray x, NDArray w) {
        return inference("linear", x, w);
    }

    /**
     * {@code x · wᵀ} with a weight from {@link #pack}, in w's precision, result in x's type.
     *
     * @param x the input, [..., in], FLOAT32
     * @param w the packed weight, [out, in]
     * @return [..., out] in x's type, attached to x's manager
     */
    public static NDArray linearPacked(NDArray x, NDArray w) {
        return inference("linear_packed", x, w);
    }

    /**
     * {@code x · qᵀ · diag(scales)} with int8 weights quantized per output channel, through PyTorch's
     * weight-only int8 kernel ({@code aten::_weight_int8pack_mm}); measured by {@code bench-products}, not
     * yet used by the model.
     *
     * @param x the input, [1, rows, in], FLOAT32
     * @param q the weight, [out, in], INT8
     * @param scales one scale per output channel, [out], FLOAT32
     * @return [1, rows, out], FLOAT32, attached to x's manager
     */
    public static NDArray linearInt8(NDArray x, NDArray q, NDArray scales) {
        try (IValue ix = IValue.from((PtNDArray) x);
                IValue iq = IValue.from((PtNDArray) q);
                IValue is = IValue.from((PtNDArray) scales);
                IValue out = IValueUtils.runMethod(module(), "linear_int8", ix, iq, is)) {
            return out.toTensor((PtNDManager) x.getManager());
        }
    }

    /**
     * Quantizes rows to int8, symmetric per row ({@link Int8Weights}), in one pass over the float values.
     *
     * @param w rows in any float type, [n, in]
     * @param qmax the largest |q|
     * @return the int8 rows, [n, in]; their scales, [n] (1 for a row of zeros); each row's largest |w|, [n] (NaN or
     *     infinite where the row holds such a value); each row's sum of q, [n] float32 (exact: |sum| &le; qmax · in
     *     &lt; 2^24)
     */
    static NDArray[] int8Rows(NDArray w, long qmax) {
        try (IValue iw = IValue.from((PtNDArray) w);
                IValue iq = IValue.from(qmax);
                IValue out = IValueUtils.runMethod(module(), "int8_rows", iw, iq)) {
            return out.toTensorArray((PtNDManager) w.getManager());
        }
    }

    /**
     * Lays int8 rows out for FBGEMM's int8 product.
     *
     * @param q the int8 weight, [out, in]
     * @param scales its per-row scales, [out]
     * @param rowSums its rows' sums, [out]
     * @return the packed matrix (an opaque FBGEMM object in a uint8 tensor) and the [2, out] companion
     *     (scales; the rows' int8 sums)
     */
    static NDArray[] int8Pack(NDArray q, NDArray scales, NDArray rowSums) {
        try (IValue iq = IValue.from((PtNDArray) q);
                IValue is = IValue.from((PtNDArray) scales);
                IValue ic = IValue.from((PtNDArray) rowSums);
                IValue out = IValueUtils.runMethod(module(), "int8_pack", iq, is, ic)) {
            return out.toTensorArray((PtNDManager) q.getManager());
        }
    }

    /**
     * @param q int8 rows, [n, in]
     * @return each row's sum, [n] float32 (exact: |sum| &le; 64 · in &lt; 2^24)
     */
    static NDArray int8RowSums(NDArray q) {
        try (IValue iq = IValue.from((PtNDArray) q);
                IValue out = IValueUtils.runMethod(module(), "int8_row_sums", iq)) {
            return out.toTensor((PtNDManager) q.getManager());
        }
    }

    /** Runs a method under DJL's inference guard (no autograd): fast, the result is an inference tensor. */
    private static NDArray inference(String method, NDArray x, NDArray w) {
        try (IValue ix = IValue.from((PtNDArray) x);
                IValue iw = IValue.from((PtNDArray) w);
                IValue out = IValueUtils.runMethod(module(), method, ix, iw)) {
            return out.toTensor((PtNDManager) x.getManager());
        }
    }

    /** Runs a one-argument method outside the inference guard, so the result can be updated in place. */
    private static NDArray ordinary(String method, NDArray x) {
        NDList inputs = new NDList(x);
        NDArray selector = null;
        if (!method.equals("forward")) {
            // DJL's documented way to call another method through forward: an input named module_method:NAME.
            selector = x.getManager().create(0f);
            selector.setName("module_method:" + method);
            inputs.add(selector);
        }
        try {
            return IValueUtils.forward(module(), inputs, true).singletonOrThrow();
        } finally {
            if (selector != null) {
                selector.close();
            }
        }
    }

    /** @return the loaded helper module (loaded on first use) */
    static PtSymbolBlock module() {
        PtSymbolBlock m = module;
        if (m == null) {
            synchronized (EngineOps.class) {
                m = module;
                if (m == null) {
                    m = load();
                    module = m;
                }
            }
        }
        return m;
    }

    private static PtSymbolBlock load() {
        byte[] archive = archive();
        // The module holds no tensors; it lives as long as the JVM in a manager of its own.
        NDManager owner = Engine.getEngine("PyTorch").newBaseManager();
        try {
            return JniUtils.loadModule((PtNDManager) owner, new ByteArrayInputStream(archive), false, false);
        } catch (IOException e) {
            owner.close();
            throw new UncheckedIOException("cannot load the engine helper " + RESOURCE, e);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    /** Zips the committed parts into a TorchScript archive (stored entries, as PyTorch writes them). */
    private static byte[] archive() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (String part : PARTS) {
                byte[] data;
                try (InputStream in = EngineOps.class.getResourceAsStream(RESOURCE + part)) {
                    if (in == null) {
                        throw new IllegalStateException("the engine helper part " + RESOURCE + part + " is missing from the class path");
                    }
                    data = in.readAllBytes();
                }
                ZipEntry entry = new ZipEntry("engine-ops/" + part);
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(data.length);
                CRC32 crc = new CRC32();
                crc.update(data);
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(data);
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot assemble the engine helper from " + RESOURCE, e);
        }
        return bytes.toByteArray();
    }
}
