package dev.byoos.worker.builder.process;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps the head and the tail of a command's output and counts every byte, so that a command
 * printing gigabytes costs the worker at most {@code headBytes + tailBytes} of memory and its
 * log still shows how it started and how it ended.
 */
final class OutputKeeper {

    private final int headBytes;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();
    private final byte[] tail;
    private int tailStart;
    private int tailLength;
    private long total;

    OutputKeeper(int headBytes, int tailBytes) {
        this.headBytes = headBytes;
        this.tail = new byte[tailBytes];
    }

    /** Keeps everything (for tools whose output the caller parses). */
    static OutputKeeper whole() {
        return new OutputKeeper(Integer.MAX_VALUE - 8, 0);
    }

    synchronized void append(byte[] bytes, int offset, int length) {
        total += length;
        int toHead = (int) Math.min(length, Math.max(0, headBytes - head.size()));
        head.write(bytes, offset, toHead);
        for (int i = offset + toHead; i < offset + length && tail.length > 0; i++) {
            tail[(tailStart + tailLength) % tail.length] = bytes[i];
            if (tailLength < tail.length) {
                tailLength++;
            } else {
                tailStart = (tailStart + 1) % tail.length;
            }
        }
    }

    synchronized long total() {
        return total;
    }

    /** The output, with a line saying how much was left out between head and tail when it did not all fit. */
    synchronized String text() {
        String start = head.toString(StandardCharsets.UTF_8);
        if (total == head.size()) {
            return start;
        }
        byte[] end = new byte[tailLength];
        for (int i = 0; i < tailLength; i++) {
            end[i] = tail[(tailStart + i) % tail.length];
        }
        long leftOut = total - head.size() - tailLength;
        return start + "\n[... " + leftOut + " bytes of output left out ...]\n" + new String(end, StandardCharsets.UTF_8);
    }
}
