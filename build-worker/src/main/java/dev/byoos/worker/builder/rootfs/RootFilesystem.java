package dev.byoos.worker.builder.rootfs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;

import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * A build's root filesystem tree (the base from the worker's local catalog, unpacked into the
 * build's scratch directory) and the only way the builder writes into it. Image paths are
 * absolute paths as the image sees them; a path that leaves the tree or passes through a symbolic
 * link is refused, because the base could point /etc at a host directory.
 *
 * <p>Owners and modes are set on the scratch files themselves: {@code mke2fs -d} copies them into
 * the image as they are (the worker runs as root, so it can chown).
 */
public final class RootFilesystem {

    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(10);
    private static final List<String> TARBALL_SUFFIXES = List.of(".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.zst");

    private final Path root;
    private final String baseName;
    /** Image paths the builder wrote, replaced or appended to, in order: the SBOM lists them with their hashes. */
    private final Set<String> written = new LinkedHashSet<>();

    private RootFilesystem(Path root, String baseName) {
        this.root = root;
        this.baseName = baseName;
    }

    /** Unpacks base {@code name} of the catalog in {@code basesDir} into {@code workDir/rootfs}. */
    public static RootFilesystem unpack(Path basesDir, String name, Path workDir, CommandRunner commands) {
        Path base = locateBase(basesDir, name);
        if (Files.isDirectory(base)) {
            return copyOf(base, name, workDir, commands);
        }
        Path rootfs = createRoot(workDir);
        commands.run(COPY_TIMEOUT, workDir, null, "tar", "--numeric-owner", "-xaf", base.toString(), "-C",
                rootfs.toString());
        return new RootFilesystem(rootfs, name);
    }

    /**
     * @return base {@code name} of the catalog in {@code basesDir}: its directory, or its tar archive
     * @throws BuildException BAD_INPUT BASE_NOT_FOUND when the catalog has no such base
     */
    public static Path locateBase(Path basesDir, String name) {
        Path directory = basesDir.resolve(name);
        if (!directory.normalize().startsWith(basesDir.normalize())) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_NOT_FOUND", "invalid base name " + name, null);
        }
        if (Files.isDirectory(directory)) {
            return directory;
        }
        for (String suffix : TARBALL_SUFFIXES) {
            Path tarball = basesDir.resolve(name + suffix);
            if (Files.isRegularFile(tarball)) {
                return tarball;
            }
        }
        throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_NOT_FOUND",
                "base '" + name + "' is not in this worker's catalog (" + basesDir + ")", null);
    }

    /**
     * Copies a base tree into {@code workDir/rootfs}. A real copy, not hard links: the builder
     * rewrites files in place (truncate and write), which through a shared inode would change
     * the base itself. {@code --reflink=auto} shares blocks where the filesystem can copy on write.
     */
    public static RootFilesystem copyOf(Path tree, String name, Path workDir, CommandRunner commands) {
        Path rootfs = createRoot(workDir);
        // cp -a keeps owners, modes, links and device nodes exactly as the base has them.
        commands.run(COPY_TIMEOUT, workDir, null, "cp", "-a", "--reflink=auto", "--", tree + "/.", rootfs.toString());
        return new RootFilesystem(rootfs, name);
    }

    /**
     * A tree from the {@link TreeCache}, with the image paths the builder had written into it when
     * it was kept (the SBOM lists them).
     */
    public static RootFilesystem existing(Path root, String baseName, List<String> writtenPaths) {
        RootFilesystem rootfs = new RootFilesystem(root, baseName);
        rootfs.written.addAll(writtenPaths);
        return rootfs;
    }

    private static Path createRoot(Path workDir) {
        try {
            return Files.createDirectories(workDir.resolve("rootfs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tree on the worker's disk. */
    public Path root() {
        return root;
    }

    /** The catalog name of the base this tree was unpacked from (for messages). */
    public String baseName() {
        return baseName;
    }

    /**
     * @return the worker-side path of {@code imagePath}
     * @throws BuildException UNSAFE_PATH when it leaves the tree or passes through a symbolic link
     */
    public Path resolve(String imagePath) {
        Path target = locate(imagePath);
        if (target == null) {
            throw unsafe(imagePath, "resolves outside the image");
        }
        Optional<Path> link = firstLinkOnTheWayTo(target);
        if (link.isPresent()) {
            throw unsafe(imagePath, "passes through the symbolic link " + root.relativize(link.get())
                    + " in the base image");
        }
        return target;
    }

    /**
     * Whether the image has something (a file, a directory or a link, dangling or not) at
     * {@code imagePath}, reached through no link on the way: a probe that never fails.
     */
    public boolean has(String imagePath) {
        return probe(imagePath, target -> Files.exists(target, LinkOption.NOFOLLOW_LINKS));
    }

    /** Whether the image has a regular file (not a link) at {@code imagePath}, reached through no link. */
    public boolean hasRegularFile(String imagePath) {
        return probe(imagePath, target -> Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS));
    }

    private boolean probe(String imagePath, Predicate<Path> test) {
        Path target = locate(imagePath);
        if (target == null) {
            return false;
        }
        return target.equals(root) || firstLinkOnTheWayTo(target.getParent()).isEmpty() && test.test(target);
    }

    /** @return the first symbolic link among the directories leading to {@code target} and target itself */
    private Optional<Path> firstLinkOnTheWayTo(Path target) {
        Path current = root;
        for (Path segment : root.relativize(target)) {
            current = current.resolve(segment);
            if (Files.isSymbolicLink(current)) {
                return Optional.of(current);
            }
        }
        return Optional.empty();
    }

    /** @return the content of a regular file, or empty when the image has none at {@code imagePath} */
    public Optional<String> read(String imagePath) {
        Path file = resolve(imagePath);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes a file, creating missing parent directories as root, 0755. Whatever was at the path
     * (a file, a FIFO, a socket, a device node a script left there) is replaced, never opened.
     */
    public void write(String imagePath, String content, String mode, int uid, int gid) {
        install(imagePath, new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), mode, uid, gid);
    }

    /**
     * Writes a file from a stream of bytes (a binary), as {@link #write} does: whatever was at the
     * path is replaced, never opened.
     */
    public void install(String imagePath, InputStream content, String mode, int uid, int gid) {
        Path target = fileToWrite(imagePath);
        replaceWith(target, content, temporary -> setOwnerAndMode(temporary, imagePath, mode, uid, gid));
        remember(imagePath);
    }

    /**
     * Writes the new content to a file of its own beside {@code target}, then renames it over
     * {@code target}. Opening what is at the path could block for good (a FIFO nobody writes to)
     * or reach a device; a rename does neither. A hard link's other names keep the old content.
     */
    private static void replaceWith(Path target, InputStream content, Consumer<Path> attributes) {
        Path temporary = target.resolveSibling("." + target.getFileName() + ".byoos-" + UUID.randomUUID());
        try {
            // CREATE_NEW: the name is fresh and nothing can be there to open.
            try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                content.transferTo(out);
            }
            attributes.accept(temporary);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                // The build's tree is discarded or fails later; a leftover temporary file is no error.
            }
        }
    }

    /** @return where a file at {@code imagePath} goes, its parent directories made (root, 0755) */
    private Path fileToWrite(String imagePath) {
        Path target = resolve(imagePath);
        if (target.equals(root)) {
            throw unsafe(imagePath, "is the root directory");
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw unsafe(imagePath, "is a directory in the base image");
        }
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    private void remember(String imagePath) {
        synchronized (written) {
            written.add(imagePath);
        }
    }

    /**
     * @return the image paths the builder wrote, replaced or appended to, in the order it first did; a path
     *         removed since (a script's temporary file) is still listed, so check it exists
     */
    public List<String> writtenPaths() {
        synchronized (written) {
            return List.copyOf(written);
        }
    }

    /** Replaces the content of an existing file, keeping its owner and mode. */
    public void replace(String imagePath, String content) {
        writeKeepingAttributes(imagePath, content, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /**
     * Appends to an existing file, keeping its owner and mode. The text starts on a line of its
     * own even when the file does not end with a line break.
     */
    public void append(String imagePath, String text) {
        String existing = read(imagePath).orElse("");
        String separator = existing.isEmpty() || existing.endsWith("\n") ? "" : "\n";
        writeKeepingAttributes(imagePath, separator + text, StandardOpenOption.APPEND);
    }

    private void writeKeepingAttributes(String imagePath, String content, StandardOpenOption how) {
        Path target = resolve(imagePath);
        PosixFileAttributes existing = regularFileAttributes(target, imagePath);
        String replacement = how == StandardOpenOption.APPEND ? read(imagePath).orElse("") + content : content;
        replaceWith(target, new ByteArrayInputStream(replacement.getBytes(StandardCharsets.UTF_8)), temporary -> {
            try {
                Files.setAttribute(temporary, "unix:uid", Files.getAttribute(target, "unix:uid",
                        LinkOption.NOFOLLOW_LINKS), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(temporary, "unix:gid", Files.getAttribute(target, "unix:gid",
                        LinkOption.NOFOLLOW_LINKS), LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(temporary, existing.permissions());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        remember(imagePath);
    }

    /**
     * @throws BuildException BAD_INPUT SPECIAL_FILE when a FIFO, socket or device node is where a
     *         regular file must be: the builder reads and writes regular files only
     */
    private static PosixFileAttributes regularFileAttributes(Path target, String imagePath) {
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(target, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!attributes.isRegularFile()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "SPECIAL_FILE", imagePath + " is "
                    + (attributes.isDirectory() ? "a directory" : "a FIFO, socket or device node")
                    + " in the image, where the builder changes a regular file; it was made by the base or a"
                    + " script: leave a regular file there", null);
        }
        return attributes;
    }

    /** Creates a directory (and missing parents, as root, 0755), then gives it owner and mode. */
    public void createDirectory(String imagePath, String mode, int uid, int gid) {
        Path target = resolve(imagePath);
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        setOwnerAndMode(target, imagePath, mode, uid, gid);
    }

    /** Creates a symbolic link (replacing a file there); {@code target} is as the image sees it. */
    public void symlink(String imagePath, String target) {
        Path link = resolve(imagePath);
        try {
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes a file if it is there (a link is removed itself, never what it points to). */
    public void delete(String imagePath) {
        try {
            Files.deleteIfExists(resolve(imagePath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void setOwnerAndMode(Path target, String imagePath, String mode, int uid, int gid) {
        int bits;
        try {
            bits = Integer.parseInt(mode, 8);
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if (bits < 0 || bits > 07777) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_MODE",
                    imagePath + ": mode '" + mode + "' is not an octal file mode", null);
        }
        try {
            // Owner first: chown clears the setuid and setgid bits the mode may ask for.
            Files.setAttribute(target, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(target, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(target, "unix:mode", bits, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return where {@code imagePath} is in the tree, or null when it normalises to outside it */
    private Path locate(String imagePath) {
        String relative = imagePath.startsWith("/") ? imagePath.substring(1) : imagePath;
        Path target = root.resolve(relative).normalize();
        return target.startsWith(root) ? target : null;
    }

    private static BuildException unsafe(String path, String why) {
        return new BuildException(BuildException.Kind.BAD_INPUT, "UNSAFE_PATH", path + " " + why, null);
    }
}
