package dev.byoos.worker.builder;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.format.FormatContext;
import dev.byoos.worker.builder.format.ImageFormat;
import dev.byoos.worker.builder.format.ImageFormats;

/**
 * The default builder: base tree (from the local catalog, or made by debootstrap and cached) +
 * customization layers ({@link ImageCustomizer}, the Kubernetes components among them, fetched and
 * verified by {@link KubernetesComponentSource}) → the requested {@link ImageFormat} (most of them
 * from a GPT disk, bootable when the base has a kernel), each output checked before it leaves the
 * worker; raw and qcow2 disks with a kernel are boot-tested. Every build writes a CycloneDX SBOM
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

    private final Path basesDir;
    private final Optional<DebootstrapBases> debootstrapBases;
    private final BootSmokeTest bootTest;
    private final ImageCache cache;
    private final KubernetesComponentSource kubernetesComponents;
    private final String builderVersion;
    private final DiskImageAssembler assembler = new DiskImageAssembler();

    /** @param builderVersion the worker's version: in the SBOM, and part of every cache key */
    public NativeBuilder(Path basesDir, DebootstrapBases debootstrapBases, BootSmokeTest bootTest, ImageCache cache,
            KubernetesComponentSource kubernetesComponents, String builderVersion) {
        this.basesDir = basesDir;
        this.debootstrapBases = Optional.of(debootstrapBases);
        this.bootTest = bootTest;
        this.cache = cache;
        this.kubernetesComponents = kubernetesComponents;
        this.builderVersion = builderVersion;
    }

    /** A builder without an image cache or a Kubernetes components mirror. */
    public NativeBuilder(Path basesDir, DebootstrapBases debootstrapBases, BootSmokeTest bootTest) {
        this(basesDir, debootstrapBases, bootTest, ImageCache.disabled(), KubernetesComponentSource.notConfigured(), ID);
    }

    /** A builder for local catalog bases only (debootstrap bases are refused), boot test on, no cache, no mirror. */
    public NativeBuilder(Path basesDir) {
        this(basesDir, KubernetesComponentSource.notConfigured());
    }

    /** A builder for local catalog bases only, with Kubernetes components from {@code kubernetesComponents}. */
    public NativeBuilder(Path basesDir, KubernetesComponentSource kubernetesComponents) {
        this.basesDir = basesDir;
        this.debootstrapBases = Optional.empty();
        this.bootTest = new BootSmokeTest(BootSmokeTest.Settings.defaults());
        this.cache = ImageCache.disabled();
        this.kubernetesComponents = kubernetesComponents;
        this.builderVersion = ID;
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
        // Fetched first: the artifacts' hashes are part of the image key.
        Optional<KubernetesComponentSource.Components> kubernetes = kubernetesComponents.fetch(request.kubernetes(), log);
        BuildInputs inputs = BuildInputs.of(request, baseInput(request.base()), kubernetes, builderVersion + " " + ID,
                bootTest.enabled());
        Optional<ImageCache.Hit> cached = cache.lookup(inputs.imageKey(), workDir);
        if (cached.isPresent()) {
            ImageCache.Hit hit = cached.get();
            log.phase("cached", 90, "image cache: hit " + inputs.imageKey() + ", built " + hit.builtAt()
                    + " from the same inputs; nothing to build");
            return new BuiltImage(hit.image(), hit.format(), hit.bootTest(), hit.sbom(), inputs.inputs(), true);
        }
        log.line("image cache: " + (cache.enabled() ? "miss " : "off, key ") + inputs.imageKey());

        CommandRunner commands = new CommandRunner(log, cancellation);
        log.phase("base", 5, "preparing the base root filesystem");
        RootFilesystem rootfs = baseTree(request.base(), workDir, commands, log, cancellation);
        // From the content key, not the build: the same inputs make the same disk, whichever build asked.
        DiskImageAssembler.DiskIds ids = DiskImageAssembler.DiskIds.of(inputs.imageKey());
        if (KernelBoot.find(rootfs).isPresent()) {
            KernelBoot.prepareRoot(rootfs, ids);
        }
        log.phase("layers", 25, "applying the spec's customization layers");
        List<KubernetesComponentsLayer.Installed> installed = new ImageCustomizer(rootfs, commands, cancellation)
                .apply(request, kubernetes);
        Path sbom = RootFilesystemSbom.write(rootfs, installed, inputs.imageKey(), request.build().os().name(),
                request.build().os().version(), builderVersion, Instant.now(), workDir.resolve(SBOM_FILE));
        // Looked up after the layers: they may have changed /boot, and what goes on the ESP is what is there.
        Optional<KernelBoot> kernel = KernelBoot.find(rootfs);
        Path raw = workDir.resolve("disk.raw");
        FormatContext context = new FormatContext(request.build(), rootfs.root(), workDir, commands, () -> {
            log.line("assembling the disk");
            DiskImageAssembler.Layout layout = assembler.assemble(rootfs.root(), raw, ids, workDir, commands, kernel);
            log.line("disk assembled: root partition " + layout.rootPartitionUuid() + " at offset " + layout.rootOffset()
                    + (kernel.isPresent() ? ", bootable: " + KernelBoot.commandLine(ids) : ", no kernel"));
            return raw;
        });
        log.phase("image", 50, "writing the " + format.name() + " image");
        Path output = format.write(context);
        format.verify(output, context);
        log.line(format.name() + " image written and checked: " + output.getFileName());
        cancellation.throwIfCancelled();
        BuildCompleted.BootTest booted = bootTest(kernel.isPresent(), format.name(), raw, workDir, commands, log);
        cache.store(inputs.imageKey(), output, sbom, format.name(), booted);
        return new BuiltImage(output, format.name(), booted, sbom, inputs.inputs(), false);
    }

    private BuildCompleted.Input baseInput(BuildRequested.BaseImage base) {
        if (base.local() != null) {
            return BuildInputs.localBase(basesDir, base.local());
        }
        return BuildInputs.debootstrapBase(base.debootstrap(), debootstrapBases().contentKey(base.debootstrap()));
    }

    private DebootstrapBases debootstrapBases() {
        return debootstrapBases.orElseThrow(() -> new BuildException(BuildException.Kind.BAD_INPUT,
                "DEBOOTSTRAP_NOT_AVAILABLE", "this builder takes bases from its local catalog only", null));
    }

    private RootFilesystem baseTree(BuildRequested.BaseImage base, Path workDir, CommandRunner commands, BuildLog log,
            BuildCancellation cancellation) {
        if (base.local() != null) {
            return RootFilesystem.unpack(basesDir, base.local(), workDir, commands);
        }
        Path tree = debootstrapBases().obtain(base.debootstrap(), workDir, commands, log, cancellation);
        return RootFilesystem.copyOf(tree, base.debootstrap().suite(), workDir, commands);
    }

    private BuildCompleted.BootTest bootTest(boolean hasKernel, String format, Path raw, Path workDir,
            CommandRunner commands, BuildLog log) {
        if (!hasKernel) {
            return BootSmokeTest.skipped("the base has no kernel: the disk is not meant to boot");
        }
        if (!bootTest.enabled()) {
            return BootSmokeTest.skipped("disabled on this worker (worker.boot-test.enabled=false)");
        }
        if (!BOOT_TESTED_FORMATS.contains(format)) {
            return BootSmokeTest.skipped("format " + format + " is not boot-tested");
        }
        log.phase("boot-test", 75, "booting the image under QEMU");
        return bootTest.boot(raw, workDir, commands, log);
    }
}
