package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import dev.byoos.worker.builder.disk.DiskImageAssembler;

/**
 * A fixed VHD for Azure: the raw disk followed by a 512-byte footer. Azure accepts only fixed VHDs
 * whose virtual size is a whole number of MiB; {@code force_size} keeps qemu-img from rounding the
 * size to a CHS geometry, which would break that.
 */
final class VhdFormat implements ImageFormat {

    static final int FOOTER_SIZE = 512;
    static final String FOOTER_COOKIE = "conectix";
    /** Offset of the footer's "current size" field (big-endian, bytes) in the VHD specification. */
    private static final int CURRENT_SIZE_OFFSET = 48;

    @Override
    public String name() {
        return "vhd";
    }

    @Override
    public Path write(FormatContext context) {
        Path disk = context.disk();
        long size = FormatContext.size(disk);
        long wholeMebibytes = (size + DiskImageAssembler.MIB - 1) / DiskImageAssembler.MIB * DiskImageAssembler.MIB;
        if (wholeMebibytes != size) {
            context.run(FormatContext.WRITE_TIMEOUT, "qemu-img", "resize", "-f", "raw", disk.toString(),
                    String.valueOf(wholeMebibytes));
            // The backup GPT must sit in the disk's last sectors; growing the disk left it behind.
            context.run(FormatContext.WRITE_TIMEOUT, "sfdisk", "--quiet", "--no-reread", "--no-tell-kernel",
                    "--relocate", "gpt-bak-std", disk.toString());
        }
        Path output = context.workDir().resolve("disk.vhd");
        context.run(FormatContext.WRITE_TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "vpc",
                "-o", "subformat=fixed,force_size=on", disk.toString(), output.toString());
        return output;
    }

    @Override
    public void verify(Path output, FormatContext context) {
        long virtualSize = context.qemuInfo(output, "vpc").path("virtual-size").asLong();
        long fileSize = FormatContext.size(output);
        if (virtualSize <= 0 || virtualSize % DiskImageAssembler.MIB != 0) {
            throw FormatContext.checkFailed(name(), "virtual size " + virtualSize + " is not a whole number of MiB");
        }
        if (fileSize != virtualSize + FOOTER_SIZE) {
            throw FormatContext.checkFailed(name(), "a fixed VHD of " + virtualSize + " bytes must be "
                    + (virtualSize + FOOTER_SIZE) + " bytes long, the file has " + fileSize);
        }
        byte[] footer = new byte[FOOTER_SIZE];
        try (RandomAccessFile file = new RandomAccessFile(output.toFile(), "r")) {
            file.seek(fileSize - FOOTER_SIZE);
            file.readFully(footer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String cookie = new String(footer, 0, FOOTER_COOKIE.length(), StandardCharsets.US_ASCII);
        long footerSize = ByteBuffer.wrap(footer, CURRENT_SIZE_OFFSET, Long.BYTES).getLong();
        if (!FOOTER_COOKIE.equals(cookie) || footerSize != virtualSize) {
            throw FormatContext.checkFailed(name(), "the footer has cookie '" + cookie + "' and size " + footerSize
                    + ", expected '" + FOOTER_COOKIE + "' and " + virtualSize);
        }
    }
}
