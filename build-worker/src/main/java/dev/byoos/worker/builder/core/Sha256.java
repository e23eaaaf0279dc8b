package dev.byoos.worker.builder.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** sha256 in lower-case hex, of text, of a file's bytes or of a tree (never following a link). */
public final class Sha256 {

    private Sha256() {
    }

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public static String of(String text) {
        return of(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    public static String of(Path file) {
        MessageDigest digest = digest();
        update(digest, file);
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * sha256 of a file's bytes, read until its end or until {@code stopped} says so (asked before each
     * block): a long hash on a thread of its own ends with the work that wanted it.
     *
     * @throws CancellationException when stopped before the end
     */
    public static String of(Path file, BooleanSupplier stopped) {
        MessageDigest digest = digest();
        update(digest, file, stopped);
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Feeds a file's bytes into {@code digest}. */
    public static void update(MessageDigest digest, Path file) {
        update(digest, file, () -> false);
    }

    private static void update(MessageDigest digest, Path file, BooleanSupplier stopped) {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0;) {
                if (stopped.getAsBoolean()) {
                    throw new CancellationException("stopped before the end of " + file);
                }
                digest.update(buffer, 0, read);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies {@code from} to a new file {@code to}, reading it once.
     *
     * @return the sha256 of the bytes copied: of the copy, whatever happens to {@code from} meanwhile
     */
    public static String copy(Path from, Path to) throws IOException {
        MessageDigest digest = digest();
        try (InputStream in = Files.newInputStream(from, LinkOption.NOFOLLOW_LINKS);
                OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW)) {
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, read);
                out.write(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * Over everything in {@code tree} that decides what a build gets from it, in path order: each
     * entry's path, mode (with its type), owner and group, a symlink's target, a regular file's size
     * and content, a device's numbers. Timestamps are left out (they decide nothing an image does).
     * Only regular files are opened: a FIFO or socket in the tree is never read.
     */
    public static String ofTree(Path tree) {
        MessageDigest digest = digest();
        try (Stream<Path> entries = Files.walk(tree)) {
            for (Path entry : entries.sorted().toList()) {
                Map<String, Object> attributes = Files.readAttributes(entry, "unix:mode,uid,gid,rdev",
                        LinkOption.NOFOLLOW_LINKS);
                String header = tree.relativize(entry) + "\0" + attributes.get("mode") + "\0" + attributes.get("uid")
                        + "\0" + attributes.get("gid") + "\0";
                digest.update(header.getBytes(StandardCharsets.UTF_8));
                if (Files.isSymbolicLink(entry)) {
                    digest.update(("link\0" + Files.readSymbolicLink(entry) + "\0").getBytes(StandardCharsets.UTF_8));
                } else if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    digest.update(("file\0" + Files.size(entry) + "\0").getBytes(StandardCharsets.UTF_8));
                    update(digest, entry);
                } else if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    digest.update(("node\0" + attributes.get("rdev") + "\0").getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
