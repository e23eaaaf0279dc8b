package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.byoos.contract.BuildRequested;

/**
 * Prepares a build's root filesystem tree: the base from the worker's local catalog, then the
 * spec's file customizations. Writes never follow a symlink out of the tree.
 */
public final class RootFilesystem {

    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(10);
    private static final List<String> TARBALL_SUFFIXES = List.of(".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.zst");

    private final Path basesDir;

    public RootFilesystem(Path basesDir) {
        this.basesDir = basesDir;
    }

    public Path prepare(BuildRequested request, Path workDir, CommandRunner commands) {
        Path rootfs = workDir.resolve("rootfs");
        try {
            Files.createDirectories(rootfs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        unpackBase(request.base().local(), rootfs, workDir, commands);
        for (BuildRequested.FileCustomization file : request.files()) {
            writeFile(rootfs, file, workDir, commands);
        }
        return rootfs;
    }

    private void unpackBase(String name, Path rootfs, Path workDir, CommandRunner commands) {
        Path directory = basesDir.resolve(name);
        if (!directory.normalize().startsWith(basesDir.normalize())) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_NOT_FOUND", "invalid base name " + name, null);
        }
        if (Files.isDirectory(directory)) {
            // cp -a keeps owners, modes, links and device nodes exactly as the base has them.
            commands.run(COPY_TIMEOUT, workDir, null, "cp", "-a", "--", directory + "/.", rootfs.toString());
            return;
        }
        for (String suffix : TARBALL_SUFFIXES) {
            Path tarball = basesDir.resolve(name + suffix);
            if (Files.isRegularFile(tarball)) {
                commands.run(COPY_TIMEOUT, workDir, null, "tar", "--numeric-owner", "-xaf", tarball.toString(),
                        "-C", rootfs.toString());
                return;
            }
        }
        throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_NOT_FOUND",
                "base '" + name + "' is not in this worker's catalog (" + basesDir + ")", null);
    }

    private static void writeFile(Path rootfs, BuildRequested.FileCustomization file, Path workDir,
            CommandRunner commands) {
        Path target = rootfs.resolve(file.path().substring(1)).normalize();
        if (!target.startsWith(rootfs) || target.equals(rootfs)) {
            throw unsafe(file.path(), "resolves outside the image");
        }
        try {
            // Refuse to write through a symlink: the base could point /etc at a host directory.
            Path current = rootfs;
            for (Path segment : rootfs.relativize(target)) {
                current = current.resolve(segment);
                if (Files.isSymbolicLink(current)) {
                    throw unsafe(file.path(), "passes through the symbolic link " + rootfs.relativize(current)
                            + " in the base image");
                }
            }
            Files.createDirectories(target.getParent());
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw unsafe(file.path(), "is a directory in the base image");
            }
            Files.writeString(target, file.content(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commands.run(Duration.ofSeconds(30), workDir, null, "chmod", file.mode(), target.toString());
    }

    private static BuildException unsafe(String path, String why) {
        return new BuildException(BuildException.Kind.BAD_INPUT, "UNSAFE_PATH", "file " + path + " " + why, null);
    }
}
