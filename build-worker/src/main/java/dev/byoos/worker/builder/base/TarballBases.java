package dev.byoos.worker.builder.base;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Bases from a pinned tarball: an https URL and the archive's sha256. The archive is downloaded
 * ({@link TarballDownloader}), must have exactly the pinned digest, and is unpacked once into a
 * {@link BaseCache} entry keyed by that digest, so later builds of the same tarball, from any URL,
 * never download it again. Each build copies the cached tree.
 *
 * <p>The archive is listed before it is unpacked: a member with an absolute path or a {@code ..}
 * component is refused, whatever tar would make of it. Compression is recognised by content,
 * since the URL need not end in a suffix tar understands.
 */
public final class TarballBases {

    static final String CACHE_SUBDIRECTORY = "tarballs";
    private static final Duration TAR_TIMEOUT = Duration.ofMinutes(30);

    /** tar's option for a compression, recognised by the archive's first bytes. */
    enum Compression {
        GZIP("--gzip", 0x1f, 0x8b),
        XZ("--xz", 0xfd, '7', 'z', 'X', 'Z', 0x00),
        ZSTD("--zstd", 0x28, 0xb5, 0x2f, 0xfd),
        BZIP2("--bzip2", 'B', 'Z', 'h'),
        NONE(null);

        private final String tarOption;
        private final byte[] magic;

        Compression(String tarOption, int... magic) {
            this.tarOption = tarOption;
            this.magic = new byte[magic.length];
            for (int i = 0; i < magic.length; i++) {
                this.magic[i] = (byte) magic[i];
            }
        }

        static Compression of(Path archive) {
            byte[] head;
            try (InputStream in = Files.newInputStream(archive)) {
                head = in.readNBytes(6);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (Compression compression : values()) {
                if (compression != NONE && head.length >= compression.magic.length
                        && Arrays.equals(head, 0, compression.magic.length, compression.magic, 0,
                                compression.magic.length)) {
                    return compression;
                }
            }
            return NONE;
        }

        /** tar with this compression's option, if any, then {@code arguments}. */
        String[] tar(String... arguments) {
            List<String> command = new ArrayList<>(List.of("tar"));
            Optional.ofNullable(tarOption).ifPresent(command::add);
            command.addAll(List.of(arguments));
            return command.toArray(String[]::new);
        }
    }

    private final BaseCache cache;
    private final TarballDownloader downloader;

    /**
     * @param baseCacheDir the worker's base cache: verified tarballs are kept unpacked in its
     *                     {@code tarballs} directory, one directory per sha256, apart from debootstrap bases
     * @param allowedHosts the hosts tarballs may come from (byoos.worker.allowed-mirror-hosts)
     */
    public TarballBases(Path baseCacheDir, Collection<String> allowedHosts, TarballDownloader.Settings downloads) {
        this.cache = new BaseCache(baseCacheDir.resolve(CACHE_SUBDIRECTORY));
        this.downloader = new TarballDownloader(downloads, new AllowedHosts(allowedHosts));
    }

    /**
     * Checks the URL without downloading anything.
     *
     * @throws BuildException BAD_INPUT INVALID_TARBALL_URL (not https) or HOST_NOT_ALLOWED
     */
    public void check(BuildRequested.Tarball base) {
        downloader.checkedUrl(base.url());
    }

    /**
     * @return the cached tree of {@code base}, downloaded, verified and unpacked now when the cache
     *         does not have it yet. Read-only for callers: copy it before changing anything.
     * @throws BuildException BAD_INPUT BASE_CHECKSUM_MISMATCH, BASE_NOT_FOUND, UNSAFE_BASE_ARCHIVE,
     *                        BASE_NOT_AN_ARCHIVE and the download's own ({@link TarballDownloader#download});
     *                        INFRASTRUCTURE BASE_DOWNLOAD_FAILED
     */
    public Path obtain(BuildRequested.Tarball base, Path workDir, CommandRunner commands, BuildLog log,
            BuildCancellation cancellation) {
        check(base);
        return cache.obtain(base.sha256(), "tarball base " + base.sha256() + " (" + base.url() + ")",
                entry -> make(base, entry, workDir, commands, log, cancellation), workDir, log, cancellation);
    }

    private void make(BuildRequested.Tarball base, Path entry, Path workDir, CommandRunner commands, BuildLog log,
            BuildCancellation cancellation) throws IOException {
        // In the entry being made, so a failed or refused download goes with it.
        Path archive = entry.resolve("archive");
        String actual = downloader.download(base.url(), archive, log, cancellation);
        if (!actual.equals(base.sha256())) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_CHECKSUM_MISMATCH", "tarball base "
                    + base.url() + " has sha256 " + actual + ", not the pinned " + base.sha256()
                    + ": the file changed or the pin is wrong; nothing was unpacked", null);
        }
        Compression compression = Compression.of(archive);
        refuseUnsafeMembers(base, list(base, archive, compression, workDir, commands, "-tf"));
        List<String> deviceNodes = deviceNodes(base, list(base, archive, compression, workDir, commands,
                "--numeric-owner", "-tvf"));
        Path root = Files.createDirectories(entry.resolve("rootfs"));
        // --numeric-owner: the ids in the archive are the image's, whatever users the worker has.
        List<String> extract = new ArrayList<>(List.of("--numeric-owner", "--no-wildcards", "--anchored"));
        deviceNodes.forEach(node -> extract.add("--exclude=" + node));
        extract.addAll(List.of("-xf", archive.toString(), "-C", root.toString()));
        commands.run(TAR_TIMEOUT, workDir, null, compression.tar(extract.toArray(String[]::new)));
        if (!deviceNodes.isEmpty()) {
            log.line("tarball base: " + deviceNodes.size() + " device node(s) left out (" + String.join(", ", deviceNodes)
                    + "): the booted kernel makes /dev itself");
        }
        Files.delete(archive);
        Files.writeString(entry.resolve("source.txt"), "url=" + base.url() + "\nsha256=" + base.sha256() + "\n");
    }

    private static List<String> list(BuildRequested.Tarball base, Path archive, Compression compression, Path workDir,
            CommandRunner commands, String... listing) {
        List<String> arguments = new ArrayList<>(List.of(listing));
        arguments.add(archive.toString());
        try {
            return commands.run(TAR_TIMEOUT, workDir, null, compression.tar(arguments.toArray(String[]::new))).lines()
                    .toList();
        } catch (BuildException e) {
            if (!"TOOL_FAILED".equals(e.code())) {
                throw e;
            }
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_NOT_AN_ARCHIVE", "tarball base "
                    + base.url() + " is not a tar archive (plain, gzip, xz, zstd or bzip2): " + e.getMessage(), e);
        }
    }

    /**
     * The block and character devices in {@code tar -tv}'s listing, by member name. Unpacked as root
     * they would be real device nodes on the worker (a disk, the memory) that the builder and the
     * cache then hold; they are left out instead. Hard links cannot leave the tree: GNU tar strips a
     * leading {@code /} and {@code ../} from their targets.
     *
     * @throws BuildException BAD_INPUT UNSAFE_BASE_ARCHIVE for a device whose name tar had to escape
     */
    static List<String> deviceNodes(BuildRequested.Tarball base, List<String> verboseListing) {
        List<String> devices = new ArrayList<>();
        for (String line : verboseListing) {
            if (line.isEmpty() || (line.charAt(0) != 'b' && line.charAt(0) != 'c')) {
                continue;
            }
            // mode, owner, major,minor, date, time, name
            String[] fields = line.split("\\s+", 6);
            String name = fields.length == 6 ? fields[5] : "";
            if (name.isEmpty() || name.contains("\\")) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, "UNSAFE_BASE_ARCHIVE", "tarball base "
                        + base.url() + " has a device node whose name cannot be read back (" + line
                        + "): refused, nothing unpacked", null);
            }
            devices.add(name);
        }
        return devices;
    }

    /** GNU tar would strip such names; the archive is refused instead, since it was not made as a root filesystem. */
    private static void refuseUnsafeMembers(BuildRequested.Tarball base, List<String> members) {
        for (String member : members) {
            if (member.startsWith("/") || Arrays.asList(member.split("/")).contains("..")) {
                throw new BuildException(BuildException.Kind.BAD_INPUT, "UNSAFE_BASE_ARCHIVE", "tarball base "
                        + base.url() + " has a member outside its tree (" + member + "): refused, nothing unpacked",
                        null);
            }
        }
    }
}
