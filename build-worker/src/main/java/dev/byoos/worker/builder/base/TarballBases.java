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

    /**
     * How much a tarball base may unpack to, judged from its listing before anything is unpacked.
     *
     * @param maxUnpackedBytes the largest sum of its files' apparent sizes (a sparse file counts in
     *                         full: it is copied, hashed and put on disks at that size)
     * @param maxEntries       the most members it may have
     */
    public record Limits(long maxUnpackedBytes, long maxEntries) {
    }

    /**
     * What one listing line may take on average before the listing is cut off as too long: the
     * listing is held in memory, and an archive of a billion empty members compresses to little.
     */
    static final long LISTING_BYTES_PER_ENTRY = 200;

    private final BaseCache cache;
    private final TarballDownloader downloader;
    private final Limits limits;

    /**
     * @param baseCacheDir the worker's base cache: verified tarballs are kept unpacked in its
     *                     {@code tarballs} directory, one directory per sha256, apart from debootstrap bases
     * @param allowedHosts the hosts tarballs may come from (byoos.worker.allowed-mirror-hosts)
     */
    public TarballBases(Path baseCacheDir, Collection<String> allowedHosts, TarballDownloader.Settings downloads,
            Limits limits) {
        this.cache = new BaseCache(baseCacheDir.resolve(CACHE_SUBDIRECTORY));
        this.downloader = new TarballDownloader(downloads, new AllowedHosts(allowedHosts));
        this.limits = limits;
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
     * Checks a build's copy of the cached tree for {@code base} against the digest recorded when
     * it was unpacked.
     *
     * @throws BuildException INFRASTRUCTURE BASE_CACHE_CORRUPT (the entry is discarded)
     */
    public void verify(BuildRequested.Tarball base, Path copy, Path workDir, BuildLog log) {
        cache.verify(base.sha256(), "tarball base " + base.sha256(), copy, workDir, log);
    }

    /**
     * @return the cached tree of {@code base}, downloaded, verified and unpacked now when the cache
     *         does not have it yet. Read-only for callers: copy it before changing anything.
     * @throws BuildException BAD_INPUT BASE_CHECKSUM_MISMATCH, BASE_NOT_FOUND, UNSAFE_BASE_ARCHIVE,
     *                        BASE_NOT_AN_ARCHIVE, BASE_TOO_LARGE, BASE_TOO_MANY_FILES and the
     *                        download's own ({@link TarballDownloader#download}); INFRASTRUCTURE
     *                        BASE_DOWNLOAD_FAILED
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
        // -P: the names and link targets as the archive has them, before tar's own stripping.
        List<String> names = list(base, archive, compression, workDir, commands, "-P", "-tf");
        refuseTooMany(base, names.size());
        TarballListing listing = TarballListing.of(base.url(), names,
                list(base, archive, compression, workDir, commands, "-P", "--numeric-owner", "-tvf"));
        if (listing.unpackedBytes() > limits.maxUnpackedBytes()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_TOO_LARGE", "tarball base " + base.url()
                    + " unpacks to more than " + limits.maxUnpackedBytes()
                    + " bytes (its files' apparent sizes, sparse files in full; byoos.worker.downloads.max-unpacked-bytes): "
                    + "refused, nothing unpacked", null);
        }
        Path root = Files.createDirectories(entry.resolve("rootfs"));
        // --numeric-owner: the ids in the archive are the image's, whatever users the worker has.
        List<String> extract = new ArrayList<>(List.of("--numeric-owner", "--no-wildcards", "--anchored"));
        listing.leftOut().forEach(member -> extract.add("--exclude=" + member));
        extract.addAll(List.of("-xf", archive.toString(), "-C", root.toString()));
        commands.run(TAR_TIMEOUT, workDir, null, compression.tar(extract.toArray(String[]::new)));
        if (!listing.leftOut().isEmpty()) {
            log.line("tarball base: " + listing.leftOut().size() + " device node(s) and FIFO(s) left out ("
                    + String.join(", ", listing.leftOut()) + "): the booted system makes its own");
        }
        Files.delete(archive);
        Files.writeString(entry.resolve("source.txt"), "url=" + base.url() + "\nsha256=" + base.sha256() + "\n");
    }

    private void refuseTooMany(BuildRequested.Tarball base, long entries) {
        if (entries > limits.maxEntries()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_TOO_MANY_FILES", "tarball base " + base.url()
                    + " has more than " + limits.maxEntries() + " members (byoos.worker.downloads.max-entries): "
                    + "refused, nothing unpacked", null);
        }
    }

    /**
     * tar's listing of the archive, cut off (and refused as too many members) past
     * {@link #LISTING_BYTES_PER_ENTRY} bytes a member: {@code head} stops reading, so neither this
     * worker's memory nor tar's time grows with a listing that long.
     */
    private List<String> list(BuildRequested.Tarball base, Path archive, Compression compression, Path workDir,
            CommandRunner commands, String... listing) {
        long maxBytes = Math.min(limits.maxEntries(), Long.MAX_VALUE / LISTING_BYTES_PER_ENTRY)
                * LISTING_BYTES_PER_ENTRY;
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                // A tar stopped by head (SIGPIPE: 141) listed all it had to; any other failure is tar's own.
                "\"${@:2}\" | head -c \"$1\"; status=${PIPESTATUS[0]}; [ \"$status\" = 141 ] && exit 0; exit \"$status\"",
                "list", Long.toString(maxBytes)));
        command.addAll(List.of(compression.tar(listing)));
        command.add(archive.toString());
        String output;
        try {
            output = commands.run(TAR_TIMEOUT, workDir, null, command.toArray(String[]::new));
        } catch (BuildException e) {
            if (!"TOOL_FAILED".equals(e.code())) {
                throw e;
            }
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_NOT_AN_ARCHIVE", "tarball base "
                    + base.url() + " is not a tar archive (plain, gzip, xz, zstd or bzip2): " + e.getMessage(), e);
        }
        if (output.length() >= maxBytes) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "BASE_TOO_MANY_FILES", "tarball base "
                    + base.url() + " lists more than " + maxBytes + " bytes of members, beyond "
                    + LISTING_BYTES_PER_ENTRY + " a member for byoos.worker.downloads.max-entries ("
                    + limits.maxEntries() + "): refused, nothing unpacked", null);
        }
        return output.lines().toList();
    }
}
