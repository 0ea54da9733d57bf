package dev.layerskip.checkpoint;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * A read-only memory mapping of a byte range of a file, unmapped when closed.
 *
 * <p>The JDK frees a mapping only when its buffer is garbage collected, and a loader that maps a few
 * gigabytes of weights creates little heap garbage, so without this the mapped pages stay in the
 * process (counted in its resident memory) until some later GC, however the copies are freed. Closing
 * unmaps at once through {@code sun.misc.Unsafe.invokeCleaner} (module {@code jdk.unsupported}, present
 * in every JDK since 9). Where that method is not there, closing leaves the mapping to the GC, as the JDK
 * does by itself. Never read the buffer after closing.
 */
public final class MappedBytes implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MappedBytes.class);
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> type = Class.forName("sun.misc.Unsafe");
            Field field = type.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            cleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("sun.misc.Unsafe.invokeCleaner is not available ({}); mappings are freed by the GC", e.toString());
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private ByteBuffer buffer;

    MappedBytes(ByteBuffer buffer) {
        this.buffer = buffer;
    }

    /** @return whether closing unmaps at once (false: the GC frees mappings) */
    public static boolean unmapsOnClose() {
        return INVOKE_CLEANER != null;
    }

    /**
     * @return the mapped bytes, little-endian, position 0
     * @throws IllegalStateException once closed
     */
    public ByteBuffer buffer() {
        if (buffer == null) {
            throw new IllegalStateException("the mapping is closed");
        }
        return buffer;
    }

    /** Unmaps the range; idempotent. Arrays that alias the buffer must be closed before. */
    @Override
    public void close() {
        ByteBuffer b = buffer;
        buffer = null;
        release(b);
    }

    /**
     * Frees a direct buffer's memory at once, mapped or allocated ({@code ByteBuffer.allocateDirect}), instead of
     * when the GC finds it (left to the GC where {@code invokeCleaner} is missing). Neither the buffer nor an array
     * aliasing it may be used afterwards.
     *
     * @param b a direct buffer that is not a slice or duplicate, or null
     */
    public static void release(ByteBuffer b) {
        if (b == null || INVOKE_CLEANER == null || b.capacity() == 0) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, b);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot unmap: " + e.getMessage(), e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("cannot unmap: " + e.getCause(), e.getCause());
        }
    }
}
