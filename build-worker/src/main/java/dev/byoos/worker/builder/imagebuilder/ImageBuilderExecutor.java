package dev.byoos.worker.builder.imagebuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Builds images that only exist inside a cloud (AMIs, Azure VHDs, vSphere templates) with
 * Kubernetes Image Builder: writes a Packer variable file for the request, runs
 * {@code make build-<target>} in the configured checkout under the same supervision as native
 * builds (its own session, killed with its whole process tree on cancellation or timeout, output
 * in the build log), then reads Packer's manifest for the images it made. The manifest is the
 * artifact of record: it is staged, checksummed and stored like a disk image.
 *
 * <p>Real runs need the checkout with its dependencies (Packer, Ansible, goss), and cloud
 * credentials in the worker's environment, which is passed to make as it is.
 */
public final class ImageBuilderExecutor implements Builder {

    public static final String ID = "image-builder/0.1.0";
    /** The staged artifact's format: Packer's manifest naming the cloud images. */
    public static final String MANIFEST_FORMAT = "packer-manifest";
    static final String VARIABLES_FILE = "byoos-packer-vars.json";
    static final String MANIFEST_FILE = "packer-manifest.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param checkout {@code images/capi} of an image-builder checkout; empty when the worker has none
     * @param command  the make command, the target is appended
     */
    public record Settings(Optional<Path> checkout, List<String> command, Duration timeout) {
        public Settings {
            command = List.copyOf(command);
        }
    }

    private final Settings settings;

    public ImageBuilderExecutor(Settings settings) {
        this.settings = settings;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public boolean supports(String cloud, String format) {
        return ImageBuilderTarget.supports(cloud, format);
    }

    @Override
    public BuiltImage build(BuildRequested request, Path workDir, BuildLog log, BuildCancellation cancellation) {
        Path checkout = settings.checkout().filter(Files::isDirectory).orElseThrow(() -> new BuildException(
                BuildException.Kind.INFRASTRUCTURE, "IMAGE_BUILDER_NOT_CONFIGURED",
                "this worker has no Kubernetes Image Builder checkout (byoos.worker.image-builder.dir"
                        + settings.checkout().map(dir -> " = " + dir + ", not a directory").orElse(" is not set") + ")",
                null));
        if (!BuildRequested.STANDARD.equals(request.imageType())) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "IMAGE_TYPE_NOT_SUPPORTED",
                    request.imageType() + " images need image-builder's FIPS branch, which this worker does not run", null);
        }
        refuseCustomizationsItCannotApply(request);
        ImageBuilderTarget target = ImageBuilderTarget.of(request.build());
        Path manifest = workDir.resolve(MANIFEST_FILE);
        Path variables = workDir.resolve(VARIABLES_FILE);
        write(variables, PackerVariables.of(request, target, manifest));
        log.line("image-builder: " + target.makeTarget() + " in " + checkout + " with PACKER_VAR_FILES=" + variables);

        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.put("PACKER_VAR_FILES", variables.toString());
        List<String> command = new ArrayList<>(settings.command());
        command.add(target.makeTarget());
        CommandRunner.Exit exit = new CommandRunner(log, cancellation)
                .runScript(settings.timeout(), checkout, environment, command.toArray(String[]::new));
        String ran = String.join(" ", command);
        if (exit.timedOut()) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "IMAGE_BUILDER_TIMEOUT",
                    ran + " did not finish within " + settings.timeout() + "; it was stopped", null);
        }
        if (exit.code() != 0) {
            throw new BuildException(BuildException.Kind.INFRASTRUCTURE, "IMAGE_BUILDER_FAILED",
                    ran + " exited with " + exit.code() + ": " + CommandRunner.lastLines(exit.output()), null);
        }
        if (!Files.isRegularFile(manifest)) {
            throw new BuildException(BuildException.Kind.BUILDER, "PACKER_MANIFEST_MISSING",
                    ran + " succeeded but wrote no Packer manifest at " + manifest, null);
        }
        List<CloudImage> images = PackerManifest.cloudImages(read(manifest), request);
        images.forEach(image -> log.line("image-builder made " + image.cloud() + " image " + image.id()
                + (image.region() == null ? "" : " in " + image.region())));
        return new BuiltImage(manifest, MANIFEST_FORMAT,
                BootSmokeTest.skipped("built inside the cloud by image-builder, which tests it there (goss)"), images);
    }

    /**
     * image-builder installs packages through its own variables; the other layers would need Ansible
     * roles of our own. Refused rather than dropped: an image without the spec's files or users
     * must not look like a successful build.
     */
    private static void refuseCustomizationsItCannotApply(BuildRequested request) {
        Map<String, Boolean> present = new LinkedHashMap<>();
        present.put("files", !request.files().isEmpty());
        present.put("users", !request.users().isEmpty());
        present.put("sysctl", !request.sysctl().isEmpty());
        present.put("kernelModules", !request.kernelModules().isEmpty());
        present.put("caCertificates", !request.caCertificates().isEmpty());
        present.put("scripts", !request.scripts().isEmpty());
        List<String> layers = present.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey).toList();
        if (!layers.isEmpty()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "CUSTOMIZATION_NOT_SUPPORTED",
                    "image-builder builds apply packages only, not " + String.join(", ", layers)
                            + "; build this target with the native builder or drop them", null);
        }
    }

    private static void write(Path file, Map<String, String> variables) {
        try {
            Files.writeString(file, JSON.writeValueAsString(variables));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
