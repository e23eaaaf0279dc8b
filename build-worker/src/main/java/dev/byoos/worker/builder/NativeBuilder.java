package dev.byoos.worker.builder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.base.TarballBases;
import dev.byoos.worker.builder.cache.ImageCache;
import dev.byoos.worker.builder.cache.TreeCache;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.disk.DiskImageAssembler;
import dev.byoos.worker.builder.disk.KernelBoot;
import dev.byoos.worker.builder.format.FormatContext;
import dev.byoos.worker.builder.format.ImageFormat;
import dev.byoos.worker.builder.format.ImageFormats;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentsLayer;
import dev.byoos.worker.builder.layers.ImageCustomizer;
import dev.byoos.worker.builder.layers.RootFilesystemSbom;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;
import dev.byoos.worker.builder.sandbox.Sandbox;
import dev.byoos.worker.builder.sandbox.SandboxLimits;

/**
 * The default builder: base tree (from the local catalog; or made by debootstrap, or downloaded as
 * a pinned tarball, and cached) + customization layers ({@link ImageCustomizer}, the Kubernetes
 * components among them, fetched and verified by {@link KubernetesComponentSource}) → the
 * requested {@link ImageFormat} (most of them
 * from a GPT disk, bootable when the base has a kernel), each output checked before it leaves the
 * worker; raw and qcow2 disks with a kernel are boot-tested, while the output is being written. Every build writes a CycloneDX SBOM
 * of the finished tree.
 *
 * <p>The base and every layer are content-hashed first ({@link BuildInputs}); an image already
 * built from the same inputs is served from the {@link ImageCache} without building anything.
 */
public final class NativeBuilder implements Builder {

    public static final String ID = "native/0.1.0";
    static final String SBOM_FILE = "sbom.cdx.json";

    /** The formats QEMU boots as they are; the boot test runs for these. */
    private static final Set<String> BOOT_TESTED_FORMATS = Set.of("raw", "qcow2");

    static final String FIPS = "fips";

    /** Boot tests run beside the image write; a thread each, as many as builds run at once. */
    private static final ExecutorService BOOT_TESTS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "boot-test");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * What a native builder builds from and with: bases from the local catalog in {@code basesDir},
     * and, where present, from debootstrap and pinned tarballs; the boot test; the image and tree
     * caches; where Kubernetes components come from.
     *
     * @param builderVersion the worker's version: in the SBOM, and part of every cache key
     */
    public record Settings(Path basesDir, Optional<DebootstrapBases> debootstrapBases,
            Optional<TarballBases> tarballBases, BootSmokeTest bootTest, ImageCache imageCache, TreeCache treeCache,
            KubernetesComponentSource kubernetesComponents, String builderVersion, Sandbox sandbox) {

        /**
         * Bases from the local catalog only (debootstrap and tarball bases are refused), boot test
         * on, no cache, no Kubernetes components mirror.
         */
        public static Settings localBasesOnly(Path basesDir) {
            return new Settings(basesDir, Optional.empty(), Optional.empty(),
                    new BootSmokeTest(BootSmokeTest.Settings.defaults()), ImageCache.disabled(), TreeCache.disabled(),
                    KubernetesComponentSource.notConfigured(), ID,
                    new Sandbox(new Sandbox.Settings(SandboxLimits.defaults(), Set.of())));
        }

        /** These settings, with debootstrap and tarball bases besides the local catalog. */
        public Settings withRemoteBases(DebootstrapBases debootstrap, TarballBases tarballs) {
            return new Settings(basesDir, Optional.of(debootstrap), Optional.of(tarballs), bootTest, imageCache,
                    treeCache, kubernetesComponents, builderVersion, sandbox);
        }

        public Settings withBootTest(BootSmokeTest test) {
            return new Settings(basesDir, debootstrapBases, tarballBases, test, imageCache, treeCache,
                    kubernetesComponents, builderVersion, sandbox);
        }

        public Settings withCaches(ImageCache images, TreeCache trees) {
            return new Settings(basesDir, debootstrapBases, tarballBases, bootTest, images, trees,
                    kubernetesComponents, builderVersion, sandbox);
        }

        public Settings withKubernetesComponents(KubernetesComponentSource source) {
            return new Settings(basesDir, debootstrapBases, tarballBases, bootTest, imageCache, treeCache, source,
                    builderVersion, sandbox);
        }

        /** These settings, with scripts and package installations run in {@code sandbox}. */
        public Settings withSandbox(Sandbox sandbox) {
            return new Settings(basesDir, debootstrapBases, tarballBases, bootTest, imageCache, treeCache,
                    kubernetesComponents, builderVersion, sandbox);
        }

        public Settings withBuilderVersion(String version) {
            return new Settings(basesDir, debootstrapBases, tarballBases, bootTest, imageCache, treeCache,
                    kubernetesComponents, version, sandbox);
        }
    }

    private final Path basesDir;
    private final Optional<DebootstrapBases> debootstrapBases;
    private final Optional<TarballBases> tarballBases;
    private final BootSmokeTest bootTest;
    private final Sandbox sandbox;
    private final ImageCache cache;
    private final TreeCache trees;
    private final KubernetesComponentSource kubernetesComponents;
    private final String builderVersion;
    private final DiskImageAssembler assembler = new DiskImageAssembler();

    public NativeBuilder(Settings settings) {
        this.basesDir = settings.basesDir();
        this.debootstrapBases = settings.debootstrapBases();
        this.tarballBases = settings.tarballBases();
        this.bootTest = settings.bootTest();
        this.cache = settings.imageCache();
        this.trees = settings.treeCache();
        this.kubernetesComponents = settings.kubernetesComponents();
        this.builderVersion = settings.builderVersion();
        this.sandbox = settings.sandbox();
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public boolean supports(String cloud, String format) {
        return ImageFormats.isBuildable(format);
    }

    @Override
    public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation) {
        BuiltImage image = build(request, workDir, log, cancellation, written -> {
        });
        try (Keeping keeping = image.keeping()) {
            keeping.keep(log);
        }
        return image;
    }

    @Override
    public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation,
            Consumer<Path> written) {
        // spec-service rejects these already; a request from elsewhere must not yield a non-FIPS image.
        if (FIPS.equals(request.imageType())) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "FIPS_NOT_AVAILABLE",
                    "FIPS images are built by the image-builder executor, not available yet", null);
        }
        if (!BuildRequested.STANDARD.equals(request.imageType())) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "IMAGE_TYPE_NOT_SUPPORTED",
                    "unknown image type " + request.imageType(), null);
        }
        // Refused before any work: an unbuildable format must not cost an unpack and a disk.
        ImageFormat format = ImageFormats.forName(request.build().target().format());
        // Named from the request alone, so a cached image reports them as a built one does.
        List<BuildCompleted.CloudImage> cloudImages = format.cloudImages(request);
        // Fetched first: the artifacts' hashes are part of the image key.
        Optional<KubernetesComponentSource.Components> kubernetes = kubernetesComponents.fetch(request.kubernetes(), log);
        // A debootstrap base's suite is read from its mirror once: the key and the tree agree on it.
        Optional<DebootstrapBases.Suite> suite = Optional.ofNullable(request.base().debootstrap())
                .map(debootstrap -> debootstrapBases().resolve(debootstrap, request.build().os().name(), log,
                        cancellation));
        BuildInputs inputs = BuildInputs.of(request, baseInputs(request.base(), suite), kubernetes,
                builderVersion + " " + ID, bootTest.enabled());
        Optional<ImageCache.Hit> cached = cache.lookup(inputs.imageKey(), workDir, log);
        if (cached.isPresent()) {
            ImageCache.Hit hit = cached.get();
            log.phase("cached", 90, "image cache: hit " + inputs.imageKey() + ", built " + hit.builtAt()
                    + " from the same inputs; nothing to build");
            return new BuiltImage(hit.image(), hit.format(), hit.bootTest(), hit.sbom(), inputs.inputs(), true,
                    cloudImages);
        }
        log.line("image cache: " + (cache.enabled() ? "miss " : "off, key ") + inputs.imageKey());

        CommandRunner commands = new CommandRunner(log, cancellation);
        if (format.writtenFromTheDiskAlone()) {
            // A disk that is to boot is copied: the boot test reads the file, not the format.
            Optional<TreeCache.Disk> disk = trees.checkoutDisk(inputs.treeKey(), workDir, commands, log,
                    kept -> format.hashesTheDiskAsItReadsIt() && !toBoot(kept.bootable(), kept.passedBootTest() != null, format));
            Optional<BuiltImage> fromKeptDisk;
            try {
                fromKeptDisk = disk.flatMap(kept -> imageFromKeptDisk(request, format, inputs, kept, workDir, commands,
                        log, cancellation, written));
            } finally {
                // A build that stopped before asking whether its copy checks out stops hashing it.
                disk.ifPresent(TreeCache.Disk::close);
            }
            if (fromKeptDisk.isPresent()) {
                TreeCache.Disk kept = disk.get();
                BuiltImage built = fromKeptDisk.get();
                cancellation.throwIfCancelled();
                List<Consumer<BuildLog>> steps = new ArrayList<>();
                steps.add(keepLog -> cache.store(inputs.imageKey(), built.file(), built.sbom(), built.format(),
                        built.bootTest()));
                if (kept.passedBootTest().isEmpty()) {
                    steps.add(keepLog -> trees.recordPassedBootTest(inputs.treeKey(), kept.sha256(), built.bootTest(),
                            keepLog));
                }
                Keeping keeping = new CacheKeeping(steps);
                return new BuiltImage(built.file(), built.format(), built.bootTest(), built.sbom(), built.inputs(),
                        false, cloudImages, keeping);
            }
        }
        Optional<TreeCache.Hit> cachedTree = trees.checkout(inputs.treeKey(), workDir, commands, log);
        // What this build keeps for others becomes usable only once it is done (its keeping): a
        // failed, cancelled or timed-out build leaves nothing in the caches.
        List<TreeCache.Pending> pending = new ArrayList<>();
        boolean handedToKeeping = false;
        try {
            RootFilesystem rootfs;
            Path sbom;
            if (cachedTree.isPresent()) {
                log.phase("layers", 25, "tree cache: hit " + inputs.treeKey() + ", the base with the same layers, "
                        + "built " + cachedTree.get().builtAt() + "; nothing to apply");
                rootfs = cachedTree.get().rootfs();
                sbom = cachedTree.get().sbom();
            } else {
                log.line("tree cache: " + (trees.enabled() ? "miss " : "off, key ") + inputs.treeKey());
                rootfs = customizedTree(request, suite, kubernetes, inputs, workDir, commands, log, cancellation,
                        pending);
                sbom = workDir.resolve(SBOM_FILE);
            }
            // Looked up after the layers: they may have changed /boot, and what goes on the ESP is what is there.
            Optional<KernelBoot> kernel = KernelBoot.find(rootfs);
            boolean bootable = kernel.isPresent();
            FormatContext context = formatContext(request, inputs, rootfs, kernel, workDir, commands, log);
            BuiltImage built = image(format, context, bootable, Optional.empty(), inputs, sbom, workDir, log,
                    cancellation, written);
            cancellation.throwIfCancelled();
            boolean keepTree = cachedTree.isEmpty();
            Optional<Path> assembledDisk = context.assembledDisk();
            List<Consumer<BuildLog>> steps = new ArrayList<>();
            steps.add(keepLog -> cache.store(inputs.imageKey(), built.file(), built.sbom(), built.format(),
                    built.bootTest()));
            pending.forEach(installed -> steps.add(installed::publish));
            if (keepTree) {
                steps.add(keepLog -> trees.store(inputs.treeKey(), rootfs, sbom, keepLog));
            }
            assembledDisk.ifPresent(disk -> steps.add(keepLog -> trees.storeDisk(inputs.treeKey(), disk, built.sbom(),
                    bootable, built.bootTest(), keepLog)));
            Keeping keeping = new CacheKeeping(steps, () -> pending.forEach(TreeCache.Pending::close));
            handedToKeeping = true;
            return new BuiltImage(built.file(), built.format(), built.bootTest(), built.sbom(), built.inputs(), false,
                    cloudImages, keeping);
        } finally {
            if (!handedToKeeping) {
                pending.forEach(TreeCache.Pending::close);
            }
        }
    }

    /**
     * The cache entries a finished build prepared, one step per entry: stored by {@link #keep} once,
     * each step whatever became of the others (an entry that cannot be kept never fails the build),
     * and whatever was set aside for them removed by {@link #close}.
     */
    private static final class CacheKeeping implements Keeping {

        private final List<Consumer<BuildLog>> steps;
        private final Runnable discard;
        private boolean kept;
        private boolean closed;

        CacheKeeping(List<Consumer<BuildLog>> steps, Runnable discard) {
            this.steps = List.copyOf(steps);
            this.discard = discard;
        }

        /** Steps that set nothing aside: the entries are made of the build's own outputs. */
        CacheKeeping(List<Consumer<BuildLog>> steps) {
            this(steps, () -> {
            });
        }

        @Override
        public synchronized void keep(BuildLog log) {
            if (kept || closed) {
                return;
            }
            kept = true;
            for (Consumer<BuildLog> step : steps) {
                try {
                    step.accept(log);
                } catch (RuntimeException e) {
                    log.line("cache entry not kept: " + e);
                }
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                discard.run();
            }
        }
    }

    /**
     * The base with the spec's layers applied, and its SBOM written beside it ({@value #SBOM_FILE}).
     * When the installing layers are slow (packages, pre scripts) the tree after them is copied aside
     * (into {@code pending}: kept once the build succeeds), and
     * taken from the {@link TreeCache} when only later layers changed.
     */
    private RootFilesystem customizedTree(BuildRequested request, Optional<DebootstrapBases.Suite> suite,
            Optional<KubernetesComponentSource.Components> kubernetes, BuildInputs inputs, Path workDir,
            CommandRunner commands, BuildLog log, BuildCancellation cancellation, List<TreeCache.Pending> pending) {
        boolean keepInstalled = ImageCustomizer.installsSomethingSlow(request);
        Optional<TreeCache.Installed> cachedInstall = keepInstalled
                ? trees.checkoutInstalled(inputs.installKey(), workDir, commands, log)
                : Optional.empty();
        RootFilesystem rootfs;
        List<KubernetesComponentsLayer.Installed> installed;
        ImageCustomizer customizer;
        if (cachedInstall.isPresent()) {
            log.phase("layers", 25, "tree cache: hit " + inputs.installKey() + ", the base with the same scripts, "
                    + "Kubernetes components and packages, built " + cachedInstall.get().builtAt()
                    + "; applying the later layers");
            rootfs = cachedInstall.get().rootfs();
            installed = cachedInstall.get().kubernetes();
            customizer = new ImageCustomizer(rootfs, commands, sandbox, log, cancellation);
        } else {
            log.phase("base", 5, "preparing the base root filesystem");
            rootfs = baseTree(request.base(), suite, workDir, commands, log, cancellation);
            log.phase("layers", 25, "applying the spec's customization layers");
            customizer = new ImageCustomizer(rootfs, commands, sandbox, log, cancellation);
            installed = customizer.install(request, kubernetes);
            if (keepInstalled) {
                trees.storeInstalled(inputs.installKey(), rootfs, installed, commands, log).ifPresent(pending::add);
            }
        }
        // After the installing layers (a package may bring the kernel), before the others (a spec's own fstab wins).
        if (KernelBoot.find(rootfs).isPresent()) {
            KernelBoot.prepareRoot(rootfs, diskIds(inputs));
        }
        customizer.configure(request);
        RootFilesystemSbom.write(rootfs, installed, inputs.treeKey(), request.build().os().name(),
                request.build().os().version(), builderVersion, inputs.reproducibility().sourceDate(),
                workDir.resolve(SBOM_FILE));
        return rootfs;
    }

    /**
     * From the tree key, not the build: the same tree makes the same disk, whichever build asked,
     * and the ids are written into the tree (fstab) before the configuring layers.
     */
    private static DiskImageAssembler.DiskIds diskIds(BuildInputs inputs) {
        return DiskImageAssembler.DiskIds.of(inputs.reproducibility());
    }

    /** What the target's format is written from: the customized tree, and the disk assembled from it on demand. */
    private FormatContext formatContext(BuildRequested request, BuildInputs inputs, RootFilesystem rootfs,
            Optional<KernelBoot> kernel, Path workDir, CommandRunner commands, BuildLog log) {
        Reproducibility fixed = inputs.reproducibility();
        Path raw = workDir.resolve("disk.raw");
        Supplier<Path> assembleDisk = () -> {
            log.line("assembling the disk");
            DiskImageAssembler.Layout layout = assembler.assemble(rootfs.root(), raw, fixed, workDir, commands, kernel);
            log.line("disk assembled: root partition " + layout.rootPartitionUuid() + " at offset " + layout.rootOffset()
                    + (kernel.isPresent() ? ", bootable: " + KernelBoot.commandLine(diskIds(inputs)) : ", no kernel"));
            return raw;
        };
        return new FormatContext(request.build(), request.cloud(), rootfs.root(), workDir, commands, fixed,
                assembleDisk);
    }

    /**
     * The target's format written from the disk a build of the same tree kept: no tree, no assembly,
     * and no boot test when that disk passed one (the sha256 of what is read is the one recorded when
     * it booted). A copy is hashed while the image is written from it; a disk read in place is hashed
     * by the format's own read. A disk that is to boot is copied and checked before it boots (and
     * before its image is handed to {@code written}).
     *
     * @return empty when what was read is not the disk recorded, or a disk read in place was not read
     *         to its end: the copy and a written image are removed, and what a failed format left is
     *         overwritten when the disk is made again
     */
    private Optional<BuiltImage> imageFromKeptDisk(BuildRequested request, ImageFormat format, BuildInputs inputs,
            TreeCache.Disk disk, Path workDir, CommandRunner commands, BuildLog log, BuildCancellation cancellation,
            Consumer<Path> written) {
        if (toBoot(disk.bootable(), disk.passedBootTest().isPresent(), format) && !disk.checksOut(log)) {
            return Optional.empty();
        }
        BuiltImage built;
        try {
            built = imageFromDisk(request, format, inputs, disk, workDir, commands, log, cancellation, written);
        } catch (BuildCancelledException | DiskReadInPlaceChanged e) {
            throw e;
        } catch (RuntimeException e) {
            // A format that fails on a tampered copy: the copy, not the format, is what went wrong.
            if (!disk.checksOut(log)) {
                return Optional.empty();
            }
            throw e;
        }
        if (!disk.checksOut(log)) {
            deleteQuietly(built.file());
            return Optional.empty();
        }
        return Optional.of(built);
    }

    private BuiltImage imageFromDisk(BuildRequested request, ImageFormat format, BuildInputs inputs,
            TreeCache.Disk disk, Path workDir, CommandRunner commands, BuildLog log, BuildCancellation cancellation,
            Consumer<Path> written) {
        log.phase("layers", 25, "tree cache: hit " + inputs.treeKey() + ", the disk made of the same tree, built "
                + disk.builtAt() + "; no tree, no disk to assemble");
        FormatContext context = new FormatContext(request.build(), request.cloud(), null, workDir, commands,
                inputs.reproducibility(), disk::raw, () -> {
                    if (disk.readDigest().isPresent()) {
                        throw new DiskReadInPlaceChanged(format);
                    }
                    if (!disk.checksOut(log)) {
                        throw new IllegalStateException("the kept disk's copy is not the disk recorded");
                    }
                }, disk.readDigest().orElse(null));
        // No virtual machine runs in this build: its boot test took no time (dashboards add the duration up).
        Optional<BuildCompleted.BootTest> passed = disk.passedBootTest().map(test -> new BuildCompleted.BootTest(
                test.result(), test.detail() + "; this same disk passed in " + test.durationMillis() + " ms when built "
                        + disk.builtAt() + ", not booted again",
                0));
        return image(format, context, disk.bootable(), passed, inputs, disk.sbom(), workDir, log, cancellation,
                written);
    }

    /**
     * Writes the target's format, boot-testing the disk when it can boot and has not passed already; a
     * booting image is handed to {@code written} as soon as it is written, while the boot test still runs.
     *
     * @param passedBefore the boot test this same disk passed in an earlier build; empty to boot it here
     */
    private BuiltImage image(ImageFormat format, FormatContext context, boolean bootable,
            Optional<BuildCompleted.BootTest> passedBefore, BuildInputs inputs, Path sbom, Path workDir, BuildLog log,
            BuildCancellation cancellation, Consumer<Path> written) {
        Optional<String> noBootTest = reasonNotToBootTest(bootable, format.name());
        if (noBootTest.isPresent()) {
            log.phase("image", 50, "writing the " + format.name() + " image");
            Path output = writeAndCheck(format, context, log, cancellation);
            BuildCompleted.BootTest skipped = BootSmokeTest.skipped(noBootTest.get());
            return new BuiltImage(output, format.name(), skipped, sbom, inputs.inputs(), false);
        }
        if (passedBefore.isPresent()) {
            log.phase("image", 50, "writing the " + format.name() + " image; its disk passed the boot test when it was "
                    + "built: " + passedBefore.get().detail());
            Path output = writeAndCheck(format, context, log, cancellation);
            return new BuiltImage(output, format.name(), passedBefore.get(), sbom, inputs.inputs(), false);
        }
        // The boot test reads the raw disk only (through an overlay), so it runs while the image is
        // written: on two cores the TCG boot and the compression overlap instead of adding up.
        Path disk = context.disk();
        log.phase("image", 50, "writing the " + format.name() + " image while the boot test runs");
        BuildCancellation bootCancellation = cancellation.child();
        CompletableFuture<BuildCompleted.BootTest> booting = CompletableFuture.supplyAsync(
                () -> bootTest.boot(disk, workDir, new CommandRunner(log, bootCancellation), log), BOOT_TESTS);
        try {
            Path output = writeAndCheck(format, context, log, cancellation);
            // Under TCG the boot outlasts the write: the upload can run in that time instead of after it.
            written.accept(output);
            log.phase("boot-test", 75, "waiting for the boot test under QEMU");
            BuildCompleted.BootTest booted = awaitBootTest(booting);
            return new BuiltImage(output, format.name(), booted, sbom, inputs.inputs(), false);
        } finally {
            if (!booting.isDone()) {
                // The image failed or the build was cancelled: the virtual machine must not outlive the build.
                bootCancellation.cancel();
                booting.exceptionally(failure -> null).join();
            }
        }
    }

    /** A file in the build's scratch directory, which is removed with the build if this fails. */
    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Removed with the scratch directory.
        }
    }

    private static Path writeAndCheck(ImageFormat format, FormatContext context, BuildLog log,
            BuildCancellation cancellation) {
        Path output = format.write(context);
        format.verify(output, context);
        log.line(format.name() + " image written and checked: " + output.getFileName());
        cancellation.throwIfCancelled();
        return output;
    }

    /** @return the boot test's outcome; its failure (or the build's cancellation) as it was thrown */
    private static BuildCompleted.BootTest awaitBootTest(CompletableFuture<BuildCompleted.BootTest> booting) {
        try {
            return booting.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The base, and for a debootstrap base the suite's Release file it was made after. */
    private List<BuildCompleted.Input> baseInputs(BuildRequested.BaseImage base,
            Optional<DebootstrapBases.Suite> suite) {
        if (base.local() != null) {
            return List.of(BuildInputs.localBase(basesDir, base.local()));
        }
        if (base.tarball() != null) {
            // Refused here already, so that not even a cached image is served for such a URL.
            tarballBases().check(base.tarball());
            return List.of(BuildInputs.tarballBase(base.tarball()));
        }
        return BuildInputs.debootstrapBase(suite.orElseThrow());
    }

    private DebootstrapBases debootstrapBases() {
        return debootstrapBases.orElseThrow(() -> new BuildException(BuildException.Kind.BAD_INPUT,
                "DEBOOTSTRAP_NOT_AVAILABLE", "this builder takes bases from its local catalog only", null));
    }

    private TarballBases tarballBases() {
        return tarballBases.orElseThrow(() -> new BuildException(BuildException.Kind.BAD_INPUT,
                "TARBALL_NOT_AVAILABLE", "this builder takes bases from its local catalog only", null));
    }

    private RootFilesystem baseTree(BuildRequested.BaseImage base, Optional<DebootstrapBases.Suite> suite,
            Path workDir, CommandRunner commands, BuildLog log, BuildCancellation cancellation) {
        if (base.local() != null) {
            return RootFilesystem.unpack(basesDir, base.local(), workDir, commands);
        }
        if (base.tarball() != null) {
            Path tree = tarballBases().obtain(base.tarball(), workDir, commands, log, cancellation);
            RootFilesystem copy = RootFilesystem.copyOf(tree, base.tarball().url(), workDir, commands);
            tarballBases().verify(base.tarball(), copy.root(), workDir, log);
            return copy;
        }
        // The copy is checked, not the entry: what the build uses is what was verified.
        return debootstrapBases().checkout(suite.orElseThrow(), workDir, commands, log, cancellation);
    }

    /**
     * @param passedBootTest whether the kept disk has a passed boot test recorded
     * @return whether a build of {@code format} from a kept disk boots that disk
     */
    private boolean toBoot(boolean hasKernel, boolean passedBootTest, ImageFormat format) {
        return !passedBootTest && reasonNotToBootTest(hasKernel, format.name()).isEmpty();
    }

    /** A format that said it hashes the disk as it reads it tried to change a disk read where it is kept. */
    private static final class DiskReadInPlaceChanged extends IllegalStateException {

        DiskReadInPlaceChanged(ImageFormat format) {
            super("format " + format.name() + " tried to change a kept disk read where it is kept; such a format must"
                    + " not say it hashes the disk as it reads it");
        }
    }

    /** @return why this image is not boot-tested, or empty when it is */
    private Optional<String> reasonNotToBootTest(boolean hasKernel, String format) {
        if (!hasKernel) {
            return Optional.of("the base has no kernel: the disk is not meant to boot");
        }
        if (!bootTest.enabled()) {
            return Optional.of("disabled on this worker (byoos.worker.boot-test.enabled=false)");
        }
        if (!BOOT_TESTED_FORMATS.contains(format)) {
            return Optional.of("format " + format + " is not boot-tested");
        }
        return Optional.empty();
    }
}
