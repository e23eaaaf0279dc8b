package dev.byoos.worker.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.byoos.contract.AptSources;

@ConfigMapping(prefix = "byoos.worker")
public interface WorkerConfig {

    /** The local base catalog: each base is a directory or a tar archive named after it. */
    Path basesDir();

    /** Each build gets its own directory below this one, removed when the build ends. */
    Path scratchDir();

    /**
     * Where debootstrap bases are kept, one directory per content key, reused by every build that
     * asks for the same suite and mirror. Best on the scratch directory's filesystem, so copying a
     * base into a build can use reflinks where the filesystem has them.
     */
    Path baseCacheDir();

    /**
     * Hosts a base may come from: debootstrap mirrors and tarball downloads (redirects included).
     * spec-service checks its own list; the worker checks again because it is the one that
     * downloads and runs what these hosts serve. Exact host names, no wildcards; the entry
     * {@value AptSources#TOKEN} stands for the hosts the worker machine's apt sources name.
     */
    @WithDefault(AptSources.TOKEN)
    List<String> allowedMirrorHosts();

    /** Downloads of tarball bases. */
    Downloads downloads();

    /**
     * How builds reach package mirrors from inside an organisation's network: debootstrap, the
     * suite's Release file, and apt-get or dnf in the image (through the sandbox's proxy).
     */
    Packages packages();

    interface Packages {

        /**
         * The organisation's HTTP proxy, {@code http://host:port} (no credentials): every connection
         * to a mirror goes through it (CONNECT for https), except to the hosts in {@link #noProxy()}.
         */
        Optional<URI> proxy();

        /** Mirror hosts reached directly although a proxy is set (exact names). */
        Optional<List<String>> noProxy();

        /**
         * PEM files of CAs trusted, on top of the worker machine's own, while packages are downloaded:
         * a TLS-intercepting proxy's, an internal mirror's. Never left in an image.
         */
        Optional<List<Path>> caCertificates();

        /**
         * A debootstrap mirror per distribution ({@code debian}, {@code ubuntu}: the spec's
         * {@code os.name}) that replaces the one a spec names: where public mirrors cannot be reached,
         * every base comes from the organisation's mirror. Its host must be allowed too.
         */
        Map<String, String> mirrors();
    }

    interface Downloads {

        /**
         * PEM files (comma-separated) of CA certificates trusted on top of the Java runtime's own:
         * for tarballs on an internal https server behind a private CA. Quarkus's TLS registry reads
         * them as the TLS configuration {@code byoos-downloads} ({@link DownloadsTlsConfigSourceFactory}).
         */
        Optional<List<Path>> caCertificate();

        /** The largest tarball downloaded (8 GiB); a larger one fails the build (BASE_TOO_LARGE). */
        @WithDefault("8589934592")
        long maxBytes();

        /**
         * The most a tarball base may unpack to (16 GiB): the sum of its files' apparent sizes, a
         * sparse file in full. Judged from its listing before unpacking (BASE_TOO_LARGE).
         */
        @WithDefault("17179869184")
        long maxUnpackedBytes();

        /** The most members a tarball base may have (1,000,000); judged before unpacking (BASE_TOO_MANY_FILES). */
        @WithDefault("1000000")
        long maxEntries();

        @WithDefault("30s")
        Duration connectTimeout();

        /** The longest wait for the response, or for the next bytes of it; then the download fails and is retried. */
        @WithDefault("60s")
        Duration readTimeout();
    }

    /** Keep a failed build's scratch directory for inspection (never in production: disks fill up). */
    @WithDefault("false")
    boolean keepFailedScratch();

    /** This worker instance's name: in build.started, and in its own cancellations consumer group. */
    String instanceName();

    /** How many cancelled build ids a worker remembers (oldest forgotten first). */
    @WithDefault("10000")
    int rememberedCancellations();

    /**
     * How long one build may take, from its start to its result, retries and waits included. A
     * build still running then is stopped and fails (BUILD_TIMEOUT). Each script has its own,
     * shorter timeout from the spec.
     */
    @WithDefault("90m")
    Duration buildTimeout();

    /**
     * Free space the scratch directory's filesystem must have before a build starts; with less,
     * the build waits and retries like any infrastructure failure (INSUFFICIENT_DISK).
     */
    @WithDefault("10737418240")
    long minFreeDiskBytes();

    /**
     * The lease that lets one attempt at a time run a build id across all workers (claims in the
     * staging bucket, {@code builds/<id>/lease/}). A worker renews its lease every
     * {@link Lease#renewalInterval()} while it builds; one that stops renewing (killed, cut off
     * from S3) is taken over by another worker {@link Lease#duration()} after its last renewal.
     */
    Lease lease();

    interface Lease {

        /**
         * How long a claim stays valid after each renewal: the longest a crashed worker's build
         * waits before another worker takes it over. Worker clocks must agree to well within
         * {@code duration - renewal-interval}.
         */
        @WithDefault("60s")
        Duration duration();

        /** How often a running build renews its lease; must be shorter than {@link #duration()}. */
        @WithDefault("15s")
        Duration renewalInterval();
    }

    /** Retries of builds that failed for an infrastructure reason (mirror, S3, disk). */
    Retry retry();

    /**
     * How many earlier attempts at a build may have ended without a result (their worker killed:
     * out of memory, evicted, kill -9) before the next attempt fails the build (WORKER_CRASHED)
     * instead of running it again. 3: one or two deaths are what a node drain or a rolling update
     * does to any build; a third in a row says the build itself takes its worker down, and every
     * further try would cost another worker and a lease expiry.
     */
    @WithDefault("3")
    int maxCrashedAttempts();

    /**
     * How long, after SIGTERM, the builds in progress may run on to finish; those still running then
     * are stopped and handed back: their requests stay unacknowledged and their leases are given up,
     * so the next worker starts them at once. Kubernetes' terminationGracePeriodSeconds must exceed
     * it by the time a hand-back takes (deploy/kubernetes/build-worker.yaml: 120 s for 90 s).
     */
    @WithDefault("90s")
    Duration shutdownGracePeriod();

    /**
     * The wait of every step of handling a request (the lease, the completion check, the staging
     * uploads, the sends to Kafka) while S3 or Kafka is out: it tries again with capped exponential
     * backoff for as long as the outage lasts, rather than failing or dead-lettering the request.
     */
    OutageWait outageWait();

    interface OutageWait {

        @WithDefault("1s")
        Duration initialBackoff();

        @WithDefault("30s")
        Duration maxBackoff();
    }

    /**
     * What one script or package installation may use, each run in its own bubblewrap sandbox (see
     * docs/security.md). A run that breaks a limit is stopped and its build fails with the limit's code.
     */
    Sandbox sandbox();

    interface Sandbox {
        /** Memory of all its processes together (MEMORY_LIMIT); with no cgroup here, of each process. */
        @WithDefault("2147483648")
        long memoryBytes();

        /** Processes alive at once (PROCESS_LIMIT). */
        @WithDefault("512")
        int processes();

        /** CPU time of all its processes together (CPU_LIMIT); with no cgroup here, of each process. */
        @WithDefault("30m")
        Duration cpuTime();

        /** The largest file it may write (the write fails beyond it). */
        @WithDefault("8589934592")
        long fileBytes();

        /** What it may print (OUTPUT_LIMIT); the log keeps the first and last 64 KiB of it. */
        @WithDefault("67108864")
        long outputBytes();

        /** The image tree's apparent size after it (TREE_TOO_LARGE). */
        @WithDefault("34359738368")
        long treeBytes();

        /** Entries in the image tree after it (TREE_TOO_MANY_FILES). */
        @WithDefault("2000000")
        long treeFiles();
    }

    interface Retry {

        /** Tries in all, the first included; the build then fails with the number of attempts. */
        @WithDefault("4")
        int maxAttempts();

        /** Wait before the second try; doubled before each later one, up to {@link #maxBackoff()}. */
        @WithDefault("10s")
        Duration initialBackoff();

        @WithDefault("5m")
        Duration maxBackoff();
    }

    /** The Kubernetes node components the native builder installs (kubeadm, kubelet, kubectl, containerd, crictl, CNI plugins). */
    KubernetesComponents kubernetesComponents();

    interface KubernetesComponents {

        /**
         * Where the release artifacts come from, laid out like the upstream downloads (a plain copy
         * of dl.k8s.io and the GitHub releases, with their checksum sidecars): an absolute
         * directory, a {@code file:} URI, or {@code s3://bucket[/prefix]} read with the worker's
         * {@code byoos.s3.*} endpoint and credentials. Unset: builds that ask for Kubernetes
         * components fail with KUBERNETES_MIRROR_NOT_CONFIGURED.
         */
        Optional<String> mirror();

        /** The architecture whose binaries are installed, as the release paths name it. */
        @WithDefault("amd64")
        String arch();

        /** Verified artifacts by sha256, kept across builds and restarts so that each is fetched once. */
        Path cacheDir();

        /**
         * A pinned {@code sha256  relative/path} list (sha256sum's format, paths as in the mirror).
         * When set, every artifact must be listed and match, whatever the mirror's sidecars say.
         */
        Optional<Path> checksumsFile();
    }

    /** Finished images by content key: an identical request on identical inputs is not built again. */
    ImageCache imageCache();

    interface ImageCache {

        /** One directory per image; best on the scratch directory's filesystem, so entries are hard links. */
        Path dir();

        /** Disk the entries may take; the least recently used go first. 0 turns the cache off. */
        @WithDefault("21474836480")
        long maxBytes();
    }

    /**
     * Customized root filesystems by tree key: a build whose image is not cached but whose base and
     * layers are (another target of the same spec, say) starts from the kept tree.
     */
    TreeCache treeCache();

    interface TreeCache {

        /** One directory per tree; must be on the scratch directory's filesystem (trees are moved and hard-linked). */
        Path dir();

        /** Disk the trees may take; the least recently used go first. 0 turns the cache off. */
        @WithDefault("21474836480")
        long maxBytes();
    }

    /** Benchmark aid: a builder that writes a small tar instead of a disk image ({@code SyntheticBuilder}). */
    SyntheticBuilderSettings syntheticBuilder();

    interface SyntheticBuilderSettings {

        /** Off by default; refused in the prod profile. Only bench/load.sh turns it on. */
        @WithDefault("false")
        boolean enabled();

        /** How long each synthetic build sleeps, to saturate a worker at a known rate. */
        @WithDefault("0s")
        Duration buildTime();

        /**
         * The teams whose native builds are synthetic; every other team's are built for real.
         * Unset: all of them (bench/load.sh). The fault suite mixes a few real builds into its
         * synthetic stream this way.
         */
        Optional<Set<String>> teams();
    }

    /** The boot smoke test of images whose base has a kernel. */
    BootTest bootTest();

    interface BootTest {

        /** Boot raw and qcow2 images under QEMU + OVMF before they are staged. */
        @WithDefault("true")
        boolean enabled();

        /** From power-on to the boot marker on the serial console; software emulation needs ~20-40 s. */
        @WithDefault("120s")
        Duration timeout();
    }

    /** The OCI registry Palette Edge OS images ({@code oci} targets) are pushed to. */
    Registry registry();

    interface Registry {

        /**
         * {@code https://host[:port]} (TLS) or {@code http://host[:port]} (plain HTTP); usually the
         * pack registry. Unset: oci builds fail with REGISTRY_NOT_CONFIGURED.
         */
        Optional<String> url();

        /** Repositories are {@code <base-path>/edge/<pack name>}. */
        @WithDefault("byoos")
        String basePath();

        /** Basic credentials; without them, pushes are anonymous. */
        Optional<String> username();

        Optional<String> password();

        /** For an https registry behind a private CA: a PEM file of the CA certificates to trust. */
        Optional<Path> caCertificate();
    }

    /** The image-builder executor: Kubernetes Image Builder (Packer) for images built inside a cloud. */
    ImageBuilder imageBuilder();

    interface ImageBuilder {

        /**
         * {@code images/capi} of a kubernetes-sigs/image-builder checkout with its dependencies
         * installed ({@code make deps-ami} etc.). Without it, image-builder builds fail with
         * IMAGE_BUILDER_NOT_CONFIGURED.
         */
        Optional<Path> dir();

        /** Run in {@link #dir()} with the make target ({@code build-ami-ubuntu-2204}) appended. */
        @WithDefault("make")
        List<String> command();

        /** In-cloud builds take tens of minutes; one that runs longer than this is killed. */
        @WithDefault("3h")
        Duration timeout();
    }
}
