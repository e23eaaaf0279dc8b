package dev.byoos.contract;

import static dev.byoos.contract.Require.notBlank;
import static dev.byoos.contract.Require.notNull;

import java.util.List;

/**
 * {@value EventTypes#BUILD_REQUESTED} on {@value Topics#BUILDS_REQUESTED}: build one image for one
 * target. Published by spec-service's outbox relay.
 */
public record BuildRequested(BuildCoordinates build, BaseImage base, List<FileCustomization> files) {

    public BuildRequested {
        notNull(build, "build");
        notNull(base, "base");
        files = files == null ? List.of() : List.copyOf(files);
    }

    /**
     * The root filesystem the image starts from.
     *
     * @param local name of a base in the worker's local base catalog (a directory or a tar archive
     *              under the worker's configured bases directory). A name, never a host path: a
     *              spec must not make a worker read arbitrary files.
     */
    public record BaseImage(String local) {
        public BaseImage {
            notBlank(local, "base.local");
        }
    }

    /** A file written into the image: absolute path, UTF-8 content, octal mode such as {@code 0644}. */
    public record FileCustomization(String path, String content, String mode) {
        public FileCustomization {
            notBlank(path, "files[].path");
            notNull(content, "files[].content");
            mode = mode == null ? "0644" : mode;
        }
    }
}
