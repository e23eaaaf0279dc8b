package dev.byoos.worker.builder;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import dev.byoos.contract.BuildRequested;

/**
 * The default builder: base tree + customization layers ({@link ImageCustomizer}) → GPT disk → the requested format, each output
 * checked with qemu-img before it leaves the worker.
 */
public final class NativeBuilder implements Builder {

    public static final String ID = "native/0.1.0";
    private static final Duration CONVERT_TIMEOUT = Duration.ofMinutes(30);
    /** Formats this builder writes, with the qemu-img output format and the extra options. */
    private static final Map<String, String[]> CONVERSIONS = Map.of(
            "qcow2", new String[] {"-O", "qcow2", "-c"},
            "raw", new String[0]);

    static final String FIPS = "fips";

    private final Path basesDir;
    private final DiskImageAssembler assembler = new DiskImageAssembler();

    public NativeBuilder(Path basesDir) {
        this.basesDir = basesDir;
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
        RootFilesystem rootfs = RootFilesystem.unpack(basesDir, request.base().local(), workDir, commands);
        new ImageCustomizer(rootfs, commands, cancellation).apply(request);
        Path raw = workDir.resolve("disk.raw");
        DiskImageAssembler.Layout layout = assembler.assemble(rootfs.root(), raw, request.build().buildId(), workDir, commands);
        log.line("disk assembled: root partition " + layout.rootPartitionUuid() + " at offset " + layout.rootOffset());
        if ("raw".equals(format)) {
            commands.run(CONVERT_TIMEOUT, workDir, null, "qemu-img", "info", "-f", "raw", raw.toString());
            return new BuiltImage(raw, format);
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
        return new BuiltImage(output, format);
    }
}
