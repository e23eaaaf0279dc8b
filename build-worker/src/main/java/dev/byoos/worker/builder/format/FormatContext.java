package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.ReadDigest;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * What a format writes from: the customized root filesystem tree and, assembled only when a format
 * asks for it, the raw GPT disk made of it (a root tarball does not need a disk at all). A build that
 * starts from a kept disk has no tree: only formats {@link ImageFormat#writtenFromTheDiskAlone()}
 * are written from such a context.
 */
public final class FormatContext {

    /** Converting or packing a whole disk: generous, the disk may be tens of GiB. */
    static final Duration WRITE_TIMEOUT = Duration.ofMinutes(30);
    /** Reading an output back (info, listings, extraction for the checks). */
    static final Duration CHECK_TIMEOUT = Duration.ofMinutes(15);
    /**
     * One compressing thread per core, up to four: a worker on a large node (it requests one CPU and
     * sets no CPU limit) takes neither every core of the node nor memory for each of them.
     */
    static final int COMPRESSING_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    /**
     * tar's compressor for the gzip'd formats: pigz, which deflates 128 KiB blocks on
     * {@link #COMPRESSING_THREADS} threads into one gzip member (each block primed with the last
     * 32 KiB of the one before, as a single deflate stream would be). Its output does not depend on
     * the thread count, and {@code -n} leaves out the name and time, so an archive is the same on
     * every worker; any gzip reader reads it. pigz would also take options from the worker's
     * {@code GZIP} and {@code PIGZ} variables: they are removed, so only these options shape the bytes.
     * (tar runs the string through {@code sh -c}; the OCI layer runs it as its words.)
     */
    static final String GZIP_COMPRESSOR = "env -u GZIP -u PIGZ pigz -n -p " + COMPRESSING_THREADS;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final BuildCoordinates build;
    private final BuildRequested.CloudParameters cloud;
    private final Path tree;
    private final Path workDir;
    private final CommandRunner commands;
    private final Reproducibility fixed;
    private final Supplier<Path> diskAssembler;
    private final Runnable beforeTheDiskChanges;
    private final ReadDigest diskReadDigest;
    private Path disk;
    private boolean diskChanged;

    /**
     * @param tree          the customized tree; null when the build starts from a kept disk
     * @param cloud         the target's cloud parameters (a vSphere template's name)
     * @param fixed         the one time and the ids the output holds, so the same tree writes the same bytes
     * @param diskAssembler assembles the raw disk into the scratch directory; called at most once
     */
    public FormatContext(BuildCoordinates build, BuildRequested.CloudParameters cloud, Path tree, Path workDir,
            CommandRunner commands, Reproducibility fixed, Supplier<Path> diskAssembler) {
        this(build, cloud, tree, workDir, commands, fixed, diskAssembler, () -> {
        });
    }

    /**
     * @param beforeTheDiskChanges runs before a format changes the disk (grows it), and may refuse by
     *                             throwing: a kept disk's copy is still being hashed while its image is
     *                             written, and must be checked before any of its bytes change
     */
    public FormatContext(BuildCoordinates build, BuildRequested.CloudParameters cloud, Path tree, Path workDir,
            CommandRunner commands, Reproducibility fixed, Supplier<Path> diskAssembler,
            Runnable beforeTheDiskChanges) {
        this(build, cloud, tree, workDir, commands, fixed, diskAssembler, beforeTheDiskChanges, null);
    }

    /**
     * @param diskReadDigest not null when the disk is one kept by an earlier build and read where it is
     *                       kept: only a format that {@linkplain ImageFormat#hashesTheDiskAsItReadsIt()
     *                       hashes the disk as it reads it} is written from such a context
     */
    public FormatContext(BuildCoordinates build, BuildRequested.CloudParameters cloud, Path tree, Path workDir,
            CommandRunner commands, Reproducibility fixed, Supplier<Path> diskAssembler,
            Runnable beforeTheDiskChanges, ReadDigest diskReadDigest) {
        this.diskReadDigest = diskReadDigest;
        this.beforeTheDiskChanges = beforeTheDiskChanges;
        this.build = build;
        this.cloud = cloud;
        this.tree = tree;
        this.workDir = workDir;
        this.commands = commands;
        this.fixed = fixed;
        this.diskAssembler = diskAssembler;
    }

    public BuildCoordinates build() {
        return build;
    }

    public BuildRequested.CloudParameters cloud() {
        return cloud;
    }

    /** The customized root filesystem tree, owners and modes as the image will have them. */
    public Path tree() {
        if (tree == null) {
            throw new IllegalStateException("this build starts from a kept disk, without its tree: a format "
                    + "that reads the tree must not say it is written from the disk alone");
        }
        return tree;
    }

    public Path workDir() {
        return workDir;
    }

    /** The time of every file and timestamp in the output, and the seed of every id in it. */
    public Reproducibility reproducibility() {
        return fixed;
    }

    /** tar's options for an archive of the format's own files: the source date, root's, readable by all. */
    List<String> tarOfOwnFiles() {
        return List.of("--mtime=@" + fixed.epochSeconds(), "--owner=0", "--group=0", "--numeric-owner",
                "--mode=a=rX,u+w");
    }

    /** The raw GPT disk, assembled on first use. */
    public Path disk() {
        if (disk == null) {
            disk = diskAssembler.get();
        }
        return disk;
    }

    /**
     * Where a format that hashes the disk as it reads it puts every byte it reads; empty when the disk
     * is the build's own (assembled or copied), which needs no such read.
     */
    public Optional<ReadDigest> diskReadDigest() {
        return Optional.ofNullable(diskReadDigest);
    }

    /** @return the raw disk when a format asked for it and none changed it: the disk the tree makes */
    public Optional<Path> assembledDisk() {
        return diskChanged ? Optional.empty() : Optional.ofNullable(disk);
    }

    /**
     * Grows the raw disk to the next multiple of {@code unit} bytes, for clouds that take only disks of
     * whole MiB (Azure) or GiB (GCE), and moves the backup GPT to the disk's new last sectors, where
     * firmware and the clouds' import checks look for it. Only formats that are not boot-tested may
     * call this: the boot test reads the disk while the format writes.
     *
     * @return the disk's size afterwards
     */
    long growDiskToMultipleOf(long unit) {
        Path raw = disk();
        long size = size(raw);
        long grown = (size + unit - 1) / unit * unit;
        if (grown != size) {
            beforeTheDiskChanges.run();
            diskChanged = true;
            run(WRITE_TIMEOUT, "qemu-img", "resize", "-f", "raw", raw.toString(), String.valueOf(grown));
            run(WRITE_TIMEOUT, "sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", "--relocate", "gpt-bak-std",
                    raw.toString());
        }
        return grown;
    }

    /** For a format written by the worker itself rather than a tool: a line in the build log. */
    void note(String line) {
        commands.note(line);
    }

    /** For a format written by the worker itself: stops it once the build is cancelled or out of time. */
    void throwIfCancelled() {
        commands.throwIfCancelled();
    }

    String run(Duration timeout, String... command) {
        return commands.run(timeout, workDir, null, command);
    }

    /** {@code qemu-img info} of a file read as {@code qemuFormat} (never probed: a fixed VHD probes as raw). */
    JsonNode qemuInfo(Path file, String qemuFormat) {
        String info = run(CHECK_TIMEOUT, "qemu-img", "info", "--output=json", "-f", qemuFormat, file.toString());
        try {
            return JSON.readTree(info);
        } catch (IOException e) {
            throw checkFailed(qemuFormat, "qemu-img info printed no JSON: " + e.getMessage());
        }
    }

    static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A check that failed: the builder wrote something the format does not allow. */
    static BuildException checkFailed(String format, String why) {
        return new BuildException(BuildException.Kind.BUILDER, "OUTPUT_CHECK_FAILED",
                "the " + format + " image failed its check: " + why, null);
    }
}
