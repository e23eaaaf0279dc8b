package dev.byoos.worker.builder;

import java.nio.file.Path;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.format.FormatContext;
import dev.byoos.worker.builder.format.ImageFormat;
import dev.byoos.worker.builder.format.ImageFormats;

/**
 * The default builder: base tree + customization layers ({@link ImageCustomizer}) → the requested
 * {@link ImageFormat} (most of them from a GPT disk), each output checked before it leaves the worker.
 */
public final class NativeBuilder implements Builder {

    public static final String ID = "native/0.1.0";

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
        RootFilesystem rootfs = RootFilesystem.unpack(basesDir, request.base().local(), workDir, commands);
        new ImageCustomizer(rootfs, commands, cancellation).apply(request);
        FormatContext context = new FormatContext(request.build(), rootfs.root(), workDir, commands, () -> {
            Path raw = workDir.resolve("disk.raw");
            DiskImageAssembler.Layout layout = assembler.assemble(rootfs.root(), raw, request.build().buildId(),
                    workDir, commands);
            log.line("disk assembled: root partition " + layout.rootPartitionUuid() + " at offset "
                    + layout.rootOffset());
            return raw;
        });
        Path output = format.write(context);
        format.verify(output, context);
        log.line(format.name() + " image written and checked: " + output.getFileName());
        return new BuiltImage(output, format.name());
    }
}
