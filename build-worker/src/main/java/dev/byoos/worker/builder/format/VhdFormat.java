package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.disk.DiskImageAssembler;

/**
 * A fixed VHD for Azure: the raw disk followed by a 512-byte footer. Azure accepts only fixed VHDs
 * whose virtual size is a whole number of MiB; {@code force_size} keeps qemu-img from rounding the
 * size to a CHS geometry, which would break that.
 *
 * <p>qemu-img puts the time of writing and a random unique id into the footer; both are replaced
 * (the time by the source date, the id by one derived from the tree) and the footer's checksum made
 * again, so the same disk makes the same VHD.
 */
final class VhdFormat implements ImageFormat {

    static final int FOOTER_SIZE = 512;
    static final String FOOTER_COOKIE = "conectix";
    /** Offsets of the footer's fields in the VHD specification (all big-endian). */
    static final int TIMESTAMP_OFFSET = 24;
    private static final int CURRENT_SIZE_OFFSET = 48;
    static final int CHECKSUM_OFFSET = 64;
    static final int UNIQUE_ID_OFFSET = 68;
    /** The footer counts time in seconds since 2000-01-01T00:00:00Z, unsigned. */
    static final long VHD_EPOCH = 946_684_800L;

    @Override
    public boolean writtenFromTheDiskAlone() {
        return true;
    }

    @Override
    public String name() {
        return "vhd";
    }

    @Override
    public Path write(FormatContext context) {
        context.growDiskToMultipleOf(DiskImageAssembler.MIB);
        Path disk = context.disk();
        Path output = context.workDir().resolve("disk.vhd");
        context.run(FormatContext.WRITE_TIMEOUT, "qemu-img", "convert", "-f", "raw", "-O", "vpc",
                "-o", "subformat=fixed,force_size=on", disk.toString(), output.toString());
        Reproducibility fixed = context.reproducibility();
        UUID id = fixed.uuid("vhd");
        ByteBuffer footer = ByteBuffer.wrap(readFooter(output));
        // A source date before 2000 cannot be told: the earliest time a footer can hold stands for it.
        footer.putInt(TIMESTAMP_OFFSET, (int) Math.max(0, fixed.epochSeconds() - VHD_EPOCH));
        footer.putLong(UNIQUE_ID_OFFSET, id.getMostSignificantBits());
        footer.putLong(UNIQUE_ID_OFFSET + Long.BYTES, id.getLeastSignificantBits());
        footer.putInt(CHECKSUM_OFFSET, checksum(footer.array()));
        try (RandomAccessFile file = new RandomAccessFile(output.toFile(), "rw")) {
            file.seek(file.length() - FOOTER_SIZE);
            file.write(footer.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return output;
    }

    /** The specification's checksum: the ones' complement of the sum of every footer byte but the checksum's. */
    static int checksum(byte[] footer) {
        int sum = 0;
        for (int i = 0; i < FOOTER_SIZE; i++) {
            if (i < CHECKSUM_OFFSET || i >= CHECKSUM_OFFSET + Integer.BYTES) {
                sum += footer[i] & 0xff;
            }
        }
        return ~sum;
    }

    private static byte[] readFooter(Path vhd) {
        byte[] footer = new byte[FOOTER_SIZE];
        try (RandomAccessFile file = new RandomAccessFile(vhd.toFile(), "r")) {
            file.seek(file.length() - FOOTER_SIZE);
            file.readFully(footer);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return footer;
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
        byte[] footer = readFooter(output);
        String cookie = new String(footer, 0, FOOTER_COOKIE.length(), StandardCharsets.US_ASCII);
        long footerSize = ByteBuffer.wrap(footer).getLong(CURRENT_SIZE_OFFSET);
        if (!FOOTER_COOKIE.equals(cookie) || footerSize != virtualSize) {
            throw FormatContext.checkFailed(name(), "the footer has cookie '" + cookie + "' and size " + footerSize
                    + ", expected '" + FOOTER_COOKIE + "' and " + virtualSize);
        }
        int recorded = ByteBuffer.wrap(footer).getInt(CHECKSUM_OFFSET);
        if (recorded != checksum(footer)) {
            throw FormatContext.checkFailed(name(), "the footer's checksum " + Integer.toHexString(recorded)
                    + " is not its bytes' " + Integer.toHexString(checksum(footer)));
        }
    }
}
