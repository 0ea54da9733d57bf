package dev.layerskip.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Returns the C heap's free pages to the operating system while weights load.
 *
 * <p>Quantizing or packing weights frees many temporary buffers of a few megabytes between long-lived weights;
 * glibc raises its mmap threshold after the first such free and then keeps later temporaries in its heaps, where
 * the freed space stays resident: measured here, 10 MB more per 33.5 MB int8 weight. HotSpot's {@code
 * System.trim_native_heap} diagnostic command (JDK 17.0.9 and later, through the platform MBean server: no native
 * library) hands that space back ({@code malloc_trim}). Where the command or the MBean is missing, trimming does
 * nothing; it never fails a load.
 */
final class NativeHeap {

    private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);
    private static final String OPERATION = "systemTrimNativeHeap";
    private static volatile boolean unavailable;

    private NativeHeap() {}

    /** Trims the C heap once; a no-op where the JVM does not offer it. */
    static void trim() {
        if (unavailable) {
            return;
        }
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName commands = new ObjectName("com.sun.management:type=DiagnosticCommand");
            Object report = server.invoke(commands, OPERATION, new Object[] {null}, new String[] {String[].class.getName()});
            LOG.debug("{}", report);
        } catch (JMException | RuntimeException | LinkageError e) {
            unavailable = true; // e.g. another JVM, or a JDK before 17.0.9: the space stays with the allocator
            LOG.debug("cannot trim the native heap: {}", e.toString());
        }
    }
}
