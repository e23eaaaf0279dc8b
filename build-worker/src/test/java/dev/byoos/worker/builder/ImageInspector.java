package dev.byoos.worker.builder;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Reads a built image back with tools the builder does not use for reading: the root partition
 * is cut out along the partition table and inspected with debugfs.
 */
public final class ImageInspector {

    private static final Pattern OWNER = Pattern.compile("User:\\s+(\\d+)\\s+Group:\\s+(\\d+)");
    private static final Pattern MODE = Pattern.compile("Mode:\\s+(\\d+)");
    private static final Pattern LINK = Pattern.compile("Fast link dest: \"([^\"]*)\"");

    private final Path partition;
    private final Path workDir;

    private ImageInspector(Path partition, Path workDir) {
        this.partition = partition;
        this.workDir = workDir;
    }

    public static ImageInspector open(Builder.BuiltImage image, Path workDir) throws IOException {
        return open(image.file(), image.format(), workDir);
    }

    /** @param qemuFormat how qemu-img names the disk's format ({@code vpc} for a VHD, {@code vmdk}, …) */
    public static ImageInspector open(Path disk, String qemuFormat, Path workDir) throws IOException {
        Path raw = disk;
        if (!"raw".equals(qemuFormat)) {
            raw = workDir.resolve("readback.raw");
            run(workDir, "qemu-img", "convert", "-f", qemuFormat, "-O", "raw", disk.toString(), raw.toString());
        }
        JsonNode table = new ObjectMapper().readTree(run(workDir, "sfdisk", "--json", raw.toString()))
                .get("partitiontable");
        long sectorSize = table.has("sectorsize") ? table.get("sectorsize").asLong() : 512;
        JsonNode root = table.get("partitions").get(1);
        long start = root.get("start").asLong() * sectorSize;
        long size = root.get("size").asLong() * sectorSize;
        Path partition = workDir.resolve("root.ext4");
        try (FileChannel in = FileChannel.open(raw);
                FileChannel out = FileChannel.open(partition, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < size) {
                done += in.transferTo(start + done, size - done, out);
            }
        }
        return new ImageInspector(partition, workDir);
    }

    /** Checks the root filesystem read-only (link counts, block maps, directories); throws when it is not clean. */
    public void fsck() {
        run(workDir, "e2fsck", "-f", "-n", partition.toString());
    }

    public String cat(String path) {
        return debugfs("cat " + path);
    }

    String list(String directory) {
        return debugfs("ls -l " + directory);
    }

    /** @return {@code uid:gid} as stored in the inode */
    String owner(String path) {
        Matcher owner = OWNER.matcher(debugfs("stat " + path));
        if (!owner.find()) {
            throw new AssertionError(path + " is not in the image");
        }
        return owner.group(1) + ":" + owner.group(2);
    }

    /** @return the permission bits, e.g. {@code 0600} */
    String mode(String path) {
        Matcher mode = MODE.matcher(debugfs("stat " + path));
        if (!mode.find()) {
            throw new AssertionError(path + " is not in the image");
        }
        return mode.group(1);
    }

    /** @return where the symbolic link at {@code path} points */
    String linkTarget(String path) {
        Matcher link = LINK.matcher(debugfs("stat " + path));
        if (!link.find()) {
            throw new AssertionError(path + " is not a symbolic link in the image");
        }
        return link.group(1);
    }

    private String debugfs(String request) {
        return run(workDir, "debugfs", "-R", request, partition.toString());
    }

    private static String run(Path workDir, String... command) {
        return new CommandRunner(new BuildLog(), new BuildCancellation()).run(Duration.ofMinutes(2), workDir, null,
                command);
    }
}
