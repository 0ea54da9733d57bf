package dev.layerskip.serving;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Raw-socket HTTP for tests: malformed and slow clients that no HTTP client library would produce. */
final class RawHttp {

    /** What came back: the status (-1 when the connection closed without an answer), headers and body text. */
    record Reply(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        boolean isJsonError() {
            return "application/json".equals(header("Content-Type")) && body.contains("\"error\"")
                    && body.contains("\"code\":" + status);
        }
    }

    private RawHttp() {}

    /**
     * Sends bytes and reads until the server closes the connection or goes quiet.
     *
     * @param port the server's port
     * @param request the raw request
     * @param quietMillis how long a silence ends the read
     * @return the reply
     * @throws IOException if the connection cannot be opened
     */
    static Reply send(int port, byte[] request, int quietMillis) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(quietMillis);
            try {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            } catch (IOException e) {
                return new Reply(-1, "", ""); // closed while we wrote
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    got.write(buf, 0, n);
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // quiet or reset: take what arrived
            }
            return parse(got.toString(StandardCharsets.ISO_8859_1));
        }
    }

    static Reply send(int port, String request) throws IOException {
        return send(port, request.getBytes(StandardCharsets.UTF_8), 3000);
    }

    static Reply parse(String text) {
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || end < 0) {
            return new Reply(-1, "", text);
        }
        String head = text.substring(0, end);
        String body = text.substring(end + 4);
        int status = Integer.parseInt(head.substring(9, 12));
        Reply r = new Reply(status, head, body);
        if ("chunked".equals(String.valueOf(r.header("Transfer-encoding")).toLowerCase(Locale.ROOT))) {
            body = dechunk(body);
        }
        return new Reply(status, head, new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }

    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < body.length()) {
            int eol = body.indexOf("\r\n", i);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(body.substring(i, eol).trim(), 16);
            if (size == 0) {
                break;
            }
            out.append(body, eol + 2, Math.min(body.length(), eol + 2 + size));
            i = eol + 2 + size + 2;
        }
        return out.toString();
    }

    /** A POST with a JSON body and Connection: close. */
    static String post(String path, String json) {
        int length = json.getBytes(StandardCharsets.UTF_8).length;
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + "Content-Length: " + length + "\r\n\r\n" + json;
    }

    /**
     * Sends a request that generates for long, waits until its generation runs, leaves without reading
     * the answer, and asserts that the generation is then cancelled.
     *
     * @param port the server's port
     * @param request the raw request
     * @param service the server's generation service
     * @throws Exception if the connection fails or the wait is interrupted
     */
    static void leaveWhileGenerating(int port, String request, dev.layerskip.djl.GenerationService service) throws Exception {
        long before = service.finishedGenerations(dev.layerskip.generate.FinishReason.CANCELLED);
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (service.activeGenerations() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            org.junit.jupiter.api.Assertions.assertEquals(1, service.activeGenerations(), "generating");
        } // the client leaves before the answer
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (service.finishedGenerations(dev.layerskip.generate.FinishReason.CANCELLED) == before
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        org.junit.jupiter.api.Assertions.assertEquals(before + 1,
                service.finishedGenerations(dev.layerskip.generate.FinishReason.CANCELLED), "the generation was cancelled");
    }
}
