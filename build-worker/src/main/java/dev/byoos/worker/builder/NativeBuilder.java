package dev.byoos.worker.builder;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;

/**
 * The default builder: base tree (from the local catalog, or made by debootstrap and cached) +
 * customization layers ({@link ImageCustomizer}) → GPT disk, bootable when the base has a kernel →
 * boot smoke test → the requested format, each output checked with qemu-img before it leaves the worker.
 */
public final class NativeBuilder implements Builder {

    public static final String ID = "native/0.1.0";
    private static final Duration CONVERT_TIMEOUT = Duration.ofMinutes(30);
    /** Formats this builder writes, with the qemu-img output format and the extra options. */
    private static final Map<String, String[]> CONVERSIONS = Map.of(
            "qcow2", new String[] {"-O", "qcow2", "-c"},
            "raw", new String[0]);

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
        return CONVERSIONS.containsKey(format);
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
        String format = request.build().target().format();
        if (!supports(request.build().target().cloud(), format)) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "FORMAT_NOT_SUPPORTED",
                    "the native builder cannot write format " + format, null);
        }
        CommandRunner commands = new CommandRunner(log, cancellation);
        RootFilesystem rootfs = baseTree(request.base(), workDir, commands, log, cancellation);
        DiskImageAssembler.DiskIds ids = DiskImageAssembler.DiskIds.of(request.build().buildId());
        if (KernelBoot.find(rootfs).isPresent()) {
            KernelBoot.prepareRoot(rootfs, ids);
        }
        new ImageCustomizer(rootfs, commands, cancellation).apply(request);
        // Looked up again: the layers may have changed /boot, and what goes on the ESP is what is there now.
        Optional<KernelBoot> kernel = KernelBoot.find(rootfs);
        Path raw = workDir.resolve("disk.raw");
        DiskImageAssembler.Layout layout = assembler.assemble(rootfs.root(), raw, ids, workDir, commands, kernel);
        log.line("disk assembled: root partition " + layout.rootPartitionUuid() + " at offset " + layout.rootOffset()
                + (kernel.isPresent() ? ", bootable: " + KernelBoot.commandLine(ids) : ", no kernel"));
        cancellation.throwIfCancelled();
        BuildCompleted.BootTest booted = bootTest(kernel.isPresent(), format, raw, workDir, commands, log);
        if ("raw".equals(format)) {
            commands.run(CONVERT_TIMEOUT, workDir, null, "qemu-img", "info", "-f", "raw", raw.toString());
            return new BuiltImage(raw, format, booted);
        }
        Path output = workDir.resolve("disk." + format);
        String[] options = CONVERSIONS.get(format);
        String[] command = new String[6 + options.length];
        command[0] = "qemu-img";
        command[1] = "convert";
        command[2] = "-f";
        command[3] = "raw";
        System.arraycopy(options, 0, command, 4, options.length);
        command[4 + options.length] = raw.toString();
        command[5 + options.length] = output.toString();
        commands.run(CONVERT_TIMEOUT, workDir, null, command);
        commands.run(CONVERT_TIMEOUT, workDir, null, "qemu-img", "check", "-f", format, output.toString());
        return new BuiltImage(output, format, booted);
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
