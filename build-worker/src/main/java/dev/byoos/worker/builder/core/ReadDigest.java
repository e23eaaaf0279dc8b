package dev.byoos.worker.builder.core;

import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The sha256 of the bytes a reader has taken from a file so far, and how many: for a file that is
 * verified in the same read that uses it, so that what is used is exactly what was hashed.
 * One reader, one thread.
 */
public final class ReadDigest {

    private final MessageDigest digest = Sha256.digest();
    private long bytes;

    public void update(byte[] read, int offset, int length) {
        digest.update(read, offset, length);
        bytes += length;
    }

    public long bytes() {
        return bytes;
    }

    /** The digest in lower-case hex; the reader must be done: this ends the digest. */
    public String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }
}
