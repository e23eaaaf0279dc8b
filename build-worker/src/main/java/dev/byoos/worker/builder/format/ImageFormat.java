package dev.byoos.worker.builder.format;

import java.nio.file.Path;
import java.util.List;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;

/**
 * One output format of the native builder: how the customized image is written as a single file,
 * and how that file is checked before it leaves the worker. A format that cannot prove its output
 * fails the build rather than staging a file a cloud would reject on import.
 */
public interface ImageFormat {

    /** The name build requests use ({@code build.target.format}) and build.completed reports. */
    String name();

    /**
     * The images an output of this format becomes inside a cloud once imported, for build.completed's
     * {@code cloudImages}; none for most formats. Called before any work, so a request that cannot
     * name them is refused at once.
     *
     * @throws dev.byoos.worker.builder.core.BuildException BAD_INPUT when the request's cloud parameters cannot
     *         name them
     */
    default List<BuildCompleted.CloudImage> cloudImages(BuildRequested request) {
        return List.of();
    }

    /**
     * Whether {@link #write} and {@link #verify} read nothing but {@link FormatContext#disk()} (and the
     * request): then a build may start from the disk its tree made before, without the tree.
     */
    default boolean writtenFromTheDiskAlone() {
        return false;
    }

    /**
     * Whether {@link #write} reads the disk once, from its first byte to its last, feeding every byte
     * to {@link FormatContext#diskReadDigest()} when there is one, and never changes the disk, runs a
     * tool on it or outputs it: then a disk kept by an earlier build can be read where it is kept,
     * verified by that same read, instead of being copied and the copy hashed beside the write.
     * Implies {@link #writtenFromTheDiskAlone()}.
     */
    default boolean hashesTheDiskAsItReadsIt() {
        return false;
    }

    /** Writes the image into the build's scratch directory; returns the file to stage. */
    Path write(FormatContext context);

    /**
     * Checks the written file with tools other than the ones that wrote it where that is possible.
     *
     * @throws dev.byoos.worker.builder.BuildException OUTPUT_CHECK_FAILED when the file is not what the format promises
     */
    void verify(Path output, FormatContext context);
}
