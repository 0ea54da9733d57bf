package dev.layerskip.serving;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.SocketChannel;

import java.util.concurrent.TimeUnit;

/**
 * Closes a connection after an error answer without losing the answer: a client may still be sending the
 * rest of a refused request (a 1 MiB header, an oversized body), and closing a socket with unread input
 * resets it, which can destroy the answer before the client reads it. So the server stops writing (the
 * client sees the end of the answer), keeps reading and dropping input, and closes when the client does
 * or after {@value #LINGER_MILLIS} ms at the latest.
 */
final class LingeringClose {

    /** The longest a refused connection stays open after its answer. */
    static final long LINGER_MILLIS = 2000;

    private LingeringClose() {}

    /**
     * Closes the connection once the answer is written, lingering as described.
     *
     * @param written the write of the last answer
     */
    static void after(ChannelFuture written) {
        written.addListener(f -> {
            Channel channel = written.channel();
            if (!f.isSuccess() || !(channel instanceof SocketChannel socket)) {
                channel.close();
                return;
            }
            socket.shutdownOutput();
            channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        });
    }
}
