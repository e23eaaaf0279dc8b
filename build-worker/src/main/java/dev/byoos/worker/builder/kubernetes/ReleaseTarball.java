package dev.byoos.worker.builder.kubernetes;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

import dev.byoos.worker.builder.core.BuildException;

/**
 * Reads a gzipped release tarball (ustar, GNU and pax headers, as GNU tar and Go write them) entry
 * by entry, in Java: nothing is unpacked onto the worker's disk, and the caller decides where each
 * regular file goes (through {@link RootFilesystem}). An archive with anything a release does not
 * need to hold (links, devices, absolute or {@code ..} names) is refused whole.
 */
final class ReleaseTarball {

    private static final int BLOCK = 512;

    /** Receives each regular file; {@code content} is readable until the call returns. */
    @FunctionalInterface
    interface FileVisitor {
        void file(String name, int mode, InputStream content) throws IOException;
    }

    private ReleaseTarball() {
    }

    /**
     * Calls {@code visitor} for every regular file, names without a leading {@code ./}; directories are skipped.
     *
     * @throws BuildException WORKER_SETUP KUBERNETES_ARCHIVE_INVALID for an entry a release must not have
     */
    static void readFiles(InputStream tarball, String what, FileVisitor visitor) {
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(tarball, 1 << 16))) {
            byte[] header = new byte[BLOCK];
            String longName = null;
            while (true) {
                if (!readBlock(in, header) || isZero(header)) {
                    return;
                }
                char type = (char) header[156];
                long size = octal(header, 124, 12, what);
                String name = longName != null ? longName : name(header);
                longName = null;
                switch (type) {
                    case 'L' -> longName = cString(in.readNBytes((int) size), 0, (int) size);
                    case 'x' -> longName = paxPath(new String(in.readNBytes((int) size), StandardCharsets.UTF_8));
                    case 'g' -> in.skipNBytes(size);
                    case '5' -> safeName(name, what);
                    case '0', '\0' -> {
                        String safe = safeName(name, what);
                        BoundedInput content = new BoundedInput(in, size);
                        visitor.file(safe, (int) octal(header, 100, 8, what) & 07777, content);
                        content.skipRest();
                    }
                    default -> throw invalid(what, "entry " + name + " is a " + typeName(type)
                            + "; a release archive holds regular files and directories only");
                }
                // Entries are padded to whole blocks.
                in.skipNBytes((BLOCK - size % BLOCK) % BLOCK);
            }
        } catch (EOFException e) {
            throw invalid(what, "the archive ends in the middle of an entry");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ustar: {@code prefix/name}; both NUL-terminated when shorter than their fields. */
    private static String name(byte[] header) {
        String name = cString(header, 0, 100);
        boolean ustar = new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
        String prefix = ustar ? cString(header, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** The {@code path} record of a pax extended header ({@code "<length> path=<value>\n"} records). */
    private static String paxPath(String records) {
        for (String record : records.split("\n")) {
            int space = record.indexOf(' ');
            if (space > 0 && record.startsWith("path=", space + 1)) {
                return record.substring(space + 1 + "path=".length());
            }
        }
        return null;
    }

    /** No absolute names, no {@code ..}: a release's files go where the installer puts them, nowhere else. */
    private static String safeName(String name, String what) {
        String relative = name.startsWith("./") ? name.substring(2) : name;
        if (relative.endsWith("/")) {
            relative = relative.substring(0, relative.length() - 1);
        }
        if (name.startsWith("/") || name.indexOf('\0') >= 0 || name.indexOf('\\') >= 0
                || ("/" + relative + "/").contains("/../")) {
            throw invalid(what, "entry '" + name + "' would leave the directory it is unpacked into");
        }
        return relative;
    }

    private static boolean readBlock(InputStream in, byte[] block) throws IOException {
        int read = in.readNBytes(block, 0, BLOCK);
        if (read == 0) {
            return false;
        }
        if (read < BLOCK) {
            throw new EOFException();
        }
        return true;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** A NUL- or space-terminated octal field (release files are far below the 8 GiB that would need base-256). */
    private static long octal(byte[] header, int offset, int length, String what) {
        String digits = cString(header, offset, length).strip();
        if (!digits.matches("[0-7]{1,12}")) {
            throw invalid(what, "a header has a malformed number '" + digits + "'");
        }
        return Long.parseLong(digits, 8);
    }

    private static String cString(byte[] bytes, int offset, int length) {
        int end = offset;
        while (end < offset + length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static String typeName(char type) {
        return switch (type) {
            case '1' -> "hard link";
            case '2' -> "symbolic link";
            case '3', '4' -> "device";
            case '6' -> "FIFO";
            default -> "entry of type '" + type + "'";
        };
    }

    private static BuildException invalid(String what, String why) {
        return new BuildException(BuildException.Kind.WORKER_SETUP, "KUBERNETES_ARCHIVE_INVALID",
                what + " is refused: " + why, null);
    }

    /** One entry's content: the visitor cannot read into the next header, and what it leaves is skipped. */
    private static final class BoundedInput extends FilterInputStream {
        private long remaining;

        BoundedInput(InputStream in, long size) {
            super(in);
            this.remaining = size;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = super.read();
            if (b < 0) {
                throw new EOFException();
            }
            remaining--;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int read = super.read(buffer, offset, (int) Math.min(length, remaining));
            if (read < 0) {
                throw new EOFException();
            }
            remaining -= read;
            return read;
        }

        @Override
        public void close() {
            // The archive stays open for the next entry.
        }

        void skipRest() throws IOException {
            in.skipNBytes(remaining);
            remaining = 0;
        }
    }
}
