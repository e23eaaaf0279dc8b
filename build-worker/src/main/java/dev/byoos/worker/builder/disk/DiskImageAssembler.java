package dev.byoos.worker.builder.disk;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Turns a root filesystem tree into a raw GPT disk: an EFI System Partition (vfat, built with
 * mkfs.fat and mtools) and an ext4 root populated in place by {@code mke2fs -d}. No loop devices,
 * no mounts, no privileges: it runs wherever the tools do. When the tree has a kernel, the ESP also
 * gets it with a boot loader ({@link KernelBoot}), so the disk boots under UEFI.
 *
 * <p>Reproducible: the same tree makes the same disk. Every id (GPT disk and partition GUIDs, the
 * ext4 UUID and directory hash seed, the FAT volume id) comes from {@link Reproducibility}; every
 * time (every inode's and FAT entry's times, the filesystems' own creation and write times) is
 * its source date ({@link InodeTimes}); mke2fs adds the tree's entries in name order.
 */
public final class DiskImageAssembler {

    public static final long MIB = 1024L * 1024L;
    private static final long SECTOR = 512;
    /** GPT's primary structures use the first MiB; the backup header needs the last 33 sectors. */
    private static final long ALIGNMENT = MIB;
    /** The ESP of a disk without a kernel; one with a kernel gets what its boot files need on top. */
    public static final long ESP_SIZE = 32 * MIB;
    private static final String ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
    /** Discoverable Partitions Specification: root partition for x86-64. */
    private static final String ROOT_TYPE = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709";
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(10);

    /** Where each partition sits, so tests and later stages can find them. */
    public record Layout(long espOffset, long espSize, long rootOffset, long rootSize, UUID rootPartitionUuid) {
    }

    /** The disk's GPT GUIDs and the root filesystem's UUID, known before the disk exists (for fstab). */
    public record DiskIds(UUID disk, UUID esp, UUID root, UUID rootFilesystem) {

        /** The same tree gets the same ids, another tree others. */
        public static DiskIds of(Reproducibility fixed) {
            return new DiskIds(fixed.uuid("disk"), fixed.uuid("esp"), fixed.uuid("root"), fixed.uuid("root-fs"));
        }
    }

    /**
     * @param fixed the ids (see {@link DiskIds#of}) and the one time of everything on the disk
     * @param boot  the kernel and loader to put on the ESP; empty for a disk that is not meant to boot
     */
    public Layout assemble(Path rootfs, Path disk, Reproducibility fixed, Path workDir, CommandRunner commands,
            Optional<KernelBoot> boot) {
        DiskIds ids = DiskIds.of(fixed);
        long content = treeSize(rootfs);
        // ext4 needs room for metadata and the journal; a quarter on top plus 64 MiB covers small trees.
        long rootSize = roundUp(content + content / 4 + 64 * MIB, ALIGNMENT);
        // FAT needs room for its tables and directories beyond the files; a quarter plus 8 MiB is plenty.
        long espSize = Math.max(ESP_SIZE, boot.map(kernel -> roundUp(kernel.size() * 5 / 4 + 8 * MIB, ALIGNMENT))
                .orElse(0L));
        long espOffset = ALIGNMENT;
        long rootOffset = espOffset + espSize;
        long diskSize = rootOffset + rootSize + ALIGNMENT;
        UUID diskGuid = ids.disk();
        UUID espGuid = ids.esp();
        UUID rootGuid = ids.root();
        UUID fsUuid = ids.rootFilesystem();

        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(diskSize);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String table = "label: gpt\n"
                + "label-id: " + diskGuid + "\n"
                + "unit: sectors\n"
                + "first-lba: " + (ALIGNMENT / SECTOR) + "\n"
                + "start=" + espOffset / SECTOR + ", size=" + espSize / SECTOR + ", type=" + ESP_TYPE
                + ", uuid=" + espGuid + ", name=\"EFI System\"\n"
                + "start=" + rootOffset / SECTOR + ", size=" + rootSize / SECTOR + ", type=" + ROOT_TYPE
                + ", uuid=" + rootGuid + ", name=\"root\"\n";
        commands.run(TOOL_TIMEOUT, workDir, table, "sfdisk", "--quiet", "--no-reread", "--no-tell-kernel",
                disk.toString());

        Path esp = workDir.resolve("esp.img");
        // --invariant: no time-based fields (the volume label's entry is dated 1980-01-01); -i: the volume id.
        commands.run(TOOL_TIMEOUT, workDir, null, "mkfs.fat", "--invariant", "-C", "-n", "ESP",
                "-i", espGuid.toString().substring(0, 8), esp.toString(), String.valueOf(espSize / 1024));
        commands.run(TOOL_TIMEOUT, workDir, null,
                fixed.atSourceDate("mmd", "-i", esp.toString(), "::/EFI", "::/EFI/BOOT"));
        boot.ifPresent(kernel -> kernel.installOnto(esp, ids, fixed, workDir, commands));
        copyInto(esp, disk, espOffset);

        commands.run(TOOL_TIMEOUT, workDir, null, fixed.atSourceDate("mke2fs", "-q", "-F", "-t", "ext4",
                "-L", "root", "-U", fsUuid.toString(), "-E", "offset=" + rootOffset + ",hash_seed=" + fsUuid,
                "-d", rootfs.toString(), disk.toString(), (rootSize / 1024) + "k"));
        InodeTimes.set(disk, rootOffset, fixed, workDir, commands);
        return new Layout(espOffset, espSize, rootOffset, rootSize, rootGuid);
    }

    private static void copyInto(Path source, Path disk, long offset) {
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            long size = in.size();
            long done = 0;
            while (done < size) {
                done += in.transferTo(done, size - done, out.position(offset + done));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bytes the tree occupies, counting each file's blocks and each inode. */
    static long treeSize(Path root) {
        long[] total = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    total[0] += roundUp(attrs.size(), 4096) + 256;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    total[0] += 4096 + 256;
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return total[0];
    }

    private static long roundUp(long value, long unit) {
        return (value + unit - 1) / unit * unit;
    }
}
