package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The GCE image import format: a gzip'd tar holding the raw disk as {@code disk.raw}, written in GNU
 * oldgnu format (GCE rejects other tar flavours), sparse so the empty parts of the disk cost nothing.
 * GCE takes only disks of a whole number of GiB, so the disk is grown to the next one first. The
 * archive is gzip'd by pigz on several cores ({@link FormatContext#GZIP_COMPRESSOR}).
 * Holes are found by reading the disk for zero blocks ({@code --hole-detection=raw}), not by asking
 * the scratch filesystem where it allocated blocks, so the archive is the same on any filesystem.
 */
final class GcpTarFormat implements ImageFormat {

    /** The one member name GCE image import looks for. */
    static final String MEMBER = "disk.raw";
    static final String FILE_NAME = "image.tar.gz";
    /** oldgnu's magic and version fields (header offset 257): "ustar", two spaces, NUL. */
    static final byte[] OLDGNU_MAGIC = "ustar  \0".getBytes(StandardCharsets.US_ASCII);
    static final int MAGIC_OFFSET = 257;
    static final long GIB = 1024L * 1024L * 1024L;

    @Override
    public boolean writtenFromTheDiskAlone() {
        return true;
    }

    @Override
    public String name() {
        return "gcp-tar";
    }

    @Override
    public Path write(FormatContext context) {
        context.growDiskToMultipleOf(GIB);
        Path disk = context.disk();
        Path output = context.workDir().resolve(FILE_NAME);
        // The member is named disk.raw whatever the scratch file is called: GCE looks for that name only.
        List<String> tar = new ArrayList<>(List.of("tar", "--format=oldgnu", "--sparse", "--hole-detection=raw",
                "--use-compress-program=" + FormatContext.GZIP_COMPRESSOR, "-cf", output.toString(),
                "--transform=s|.*|" + MEMBER + "|"));
        tar.addAll(context.tarOfOwnFiles());
        tar.addAll(List.of("-C", disk.getParent().toString(), disk.getFileName().toString()));
        context.run(FormatContext.WRITE_TIMEOUT, tar.toArray(String[]::new));
        return output;
    }

    @Override
    public void verify(Path output, FormatContext context) {
        String listing = context.run(FormatContext.CHECK_TIMEOUT, "tar",
                "--use-compress-program=" + FormatContext.GZIP_COMPRESSOR,
                "--numeric-owner", "-tvf", output.toString()).strip();
        String[] fields = listing.split("\\s+");
        long diskSize = FormatContext.size(context.disk());
        if (diskSize % GIB != 0) {
            throw FormatContext.checkFailed(name(), "the disk is " + diskSize + " bytes, not a whole number of GiB");
        }
        if (listing.contains("\n") || !MEMBER.equals(fields[fields.length - 1])
                || Long.parseLong(fields[2]) != diskSize) {
            throw FormatContext.checkFailed(name(), "expected only " + MEMBER + " of " + diskSize
                    + " bytes, the archive lists: " + listing);
        }
        byte[] magic = new byte[OLDGNU_MAGIC.length];
        try (InputStream tar = new GZIPInputStream(Files.newInputStream(output))) {
            tar.skipNBytes(MAGIC_OFFSET);
            tar.readNBytes(magic, 0, magic.length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!Arrays.equals(OLDGNU_MAGIC, magic)) {
            throw FormatContext.checkFailed(name(), "the first header is not oldgnu (magic "
                    + new String(magic, StandardCharsets.US_ASCII) + ")");
        }
    }
}
