package io.portres.it.support;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;

/** A policy file changed the ways operators change one, for hot-reload tests. */
public final class PolicyFile {
    private final Path file;
    private final Path dir;

    public PolicyFile(Path file) {
        this.file = file;
        this.dir = file.toAbsolutePath().getParent();
    }

    public Path path() {
        return file;
    }

    /** Written beside it and renamed over it: the recommended way. */
    public void replaceAtomically(String text) throws Exception {
        Path staged = dir.resolve("staged.yaml");
        Files.write(staged, text.getBytes(StandardCharsets.UTF_8));
        Files.move(staged, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Rewritten in place by a slow writer: the first half, a pause, the rest. */
    public void writeSlowly(String text, long pauseMillis) throws Exception {
        int half = text.length() / 2;
        try (OutputStream o = Files.newOutputStream(file)) {
            o.write(text.substring(0, half).getBytes(StandardCharsets.UTF_8));
            o.flush();
            Thread.sleep(pauseMillis);
            o.write(text.substring(half).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Replaced by a file of the same size and modification time ({@code cp -p}, {@code touch -r}). */
    public void replaceKeepingSizeAndTime(String text) throws Exception {
        FileTime time = Files.getLastModifiedTime(file);
        if (Files.size(file) != text.getBytes(StandardCharsets.UTF_8).length) {
            throw new IllegalArgumentException("not the same size");
        }
        Path staged = dir.resolve("staged.yaml");
        Files.write(staged, text.getBytes(StandardCharsets.UTF_8));
        Files.setLastModifiedTime(staged, time);
        Files.move(staged, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (!Files.getLastModifiedTime(file).equals(time)) {
            throw new IllegalStateException("modification time not kept");
        }
    }

    /** Made a symbolic link to a file holding {@code text}, flipped into place by a rename (Kubernetes). */
    public void flipSymlinkTo(String text, String targetName) throws Exception {
        Path target = dir.resolve(targetName);
        Files.write(target, text.getBytes(StandardCharsets.UTF_8));
        Path link = dir.resolve("link.tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, target.getFileName());
        Files.move(link, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public void delete() throws Exception {
        Files.delete(file);
    }
}
