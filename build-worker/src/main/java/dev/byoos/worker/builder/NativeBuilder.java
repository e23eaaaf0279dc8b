package dev.byoos.worker.builder;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.format.FormatContext;
import dev.byoos.worker.builder.format.ImageFormat;
import dev.byoos.worker.builder.format.ImageFormats;

/**
 * The default builder: base tree (from the local catalog, or made by debootstrap and cached) +
 * customization layers ({@link ImageCustomizer}) → the requested {@link ImageFormat} (most of them
 * from a GPT disk, bootable when the base has a kernel), each output checked before it leaves the
 * worker; raw and qcow2 disks with a kernel are boot-tested.
 */
public final class NativeBuilder implements Builder {

    public static final String ID = "native/0.1.0";

    /** The formats QEMU boots as they are; the boot test runs for these. */
    private static final Set<String> BOOT_TESTED_FORMATS = Set.of("raw", "qcow2");

    static final String FIPS = "fips";

    private final Path basesDir;
    private final Optional<DebootstrapBases> debootstrapBases;
    private final BootSmokeTest bootTest;
    private final DiskImageAssembler assembler = new DiskImageAssembler();

    public NativeBuilder(Path basesDir, DebootstrapBases debootstrapBases, BootSmokeTest bootTest) {
        this.basesDir = basesDir;
        this.debootstrapBases = Optional.of(debootstrapBases);
        this.bootTest = bootTest;
    }

    /** A builder for local catalog bases only (debootstrap bases are refused), boot test on. */
    public NativeBuilder(Path basesDir) {
        this.basesDir = basesDir;
        this.debootstrapBases = Optional.empty();
        this.bootTest = new BootSmokeTest(BootSmokeTest.Settings.defaults());
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
        CommandRunner commands = new CommandRunner(log, cancellation);
        log.phase("base");
        RootFilesystem rootfs = baseTree(request.base(), workDir, commands, log, cancellation);
        DiskImageAssembler.DiskIds ids = DiskImageAssembler.DiskIds.of(request.build().buildId());
        if (KernelBoot.find(rootfs).isPresent()) {
            KernelBoot.prepareRoot(rootfs, ids);
        }
        log.phase("layers");
        new ImageCustomizer(rootfs, commands, cancellation).apply(request);
        // Looked up after the layers: they may have changed /boot, and what goes on the ESP is what is there.
        Optional<KernelBoot> kernel = KernelBoot.find(rootfs);
        Path raw = workDir.resolve("disk.raw");
        FormatContext context = new FormatContext(request.build(), rootfs.root(), workDir, commands, () -> {
            log.phase("disk");
            DiskImageAssembler.Layout layout = assembler.assemble(rootfs.root(), raw, ids, workDir, commands, kernel);
            log.line("disk assembled: root partition " + layout.rootPartitionUuid() + " at offset " + layout.rootOffset()
                    + (kernel.isPresent() ? ", bootable: " + KernelBoot.commandLine(ids) : ", no kernel"));
            log.phase("formats");
            return raw;
        });
        log.phase("formats");
        Path output = format.write(context);
        format.verify(output, context);
        log.line(format.name() + " image written and checked: " + output.getFileName());
        cancellation.throwIfCancelled();
        log.phase("boot-test");
        BuildCompleted.BootTest booted = bootTest(kernel.isPresent(), format.name(), raw, workDir, commands, log);
        log.endPhase();
        return new BuiltImage(output, format.name(), booted);
    }

    private RootFilesystem baseTree(BuildRequested.BaseImage base, Path workDir, CommandRunner commands, BuildLog log,
            BuildCancellation cancellation) {
        if (base.local() != null) {
            return RootFilesystem.unpack(basesDir, base.local(), workDir, commands);
        }
        DebootstrapBases bases = debootstrapBases.orElseThrow(() -> new BuildException(BuildException.Kind.BAD_INPUT,
                "DEBOOTSTRAP_NOT_AVAILABLE", "this builder takes bases from its local catalog only", null));
        Path tree = bases.obtain(base.debootstrap(), workDir, commands, log, cancellation);
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
        return bootTest.boot(raw, workDir, commands, log);
    }
}
