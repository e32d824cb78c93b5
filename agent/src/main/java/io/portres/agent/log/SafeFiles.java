package io.portres.agent.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Opening the agent's log and events files safely when the JVM runs as root, as systemd, sudo and logrotate do: the
 * last component is never followed if it is a symbolic link, only a regular file is opened (a FIFO would block the
 * JVM in {@code open}, a device is no log), and the folder must not let another user swap the file underneath:
 * <ul>
 *   <li>a folder writable by everyone is refused, unless it has the sticky bit (as {@code /tmp}) and the file is
 *       absent or this user's own;</li>
 *   <li>when the JVM runs as root, a folder writable by a group other than root is refused too (logrotate's rule).
 *   </li>
 * </ul>
 * Each refusal is an {@link IOException} whose message says what is wrong and what to do. The folder rules need POSIX
 * permissions; on Windows only the link and file-type rules apply.
 */
public final class SafeFiles {
    private static final int S_IFMT = 0170000;
    private static final int S_ISVTX = 01000;

    private SafeFiles() {
    }

    /** Creates the parent folders, checks the target (see the class comment) and opens it for append. */
    static FileChannel openAppend(Path file) throws IOException {
        Path parent = file.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent);
        }
        checkWritable(file);
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Why {@code file} must not be opened for writing by the agent, or nothing; also the {@code doctor}'s check.
     *
     * @throws IOException naming the problem and its fix
     */
    public static void checkWritable(Path file) throws IOException {
        BasicFileAttributes a = null;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException absent) {
            // created on open
        }
        if (a != null && a.isSymbolicLink()) {
            throw new IOException(file + " is a symbolic link: portres does not follow a link for a file it writes (a"
                    + " JVM running as root could be made to append to any file); name the file itself");
        }
        if (a != null && !a.isRegularFile()) {
            throw new IOException(file + " is " + kind(file, a) + ", not a regular file: give the path of a regular"
                    + " file (it is created if missing), or leave log.file out to log to standard error");
        }
        Path parent = file.getParent();
        if (parent == null) {
            return;
        }
        PosixFileAttributes d;
        try {
            d = Files.readAttributes(parent, PosixFileAttributes.class);
        } catch (UnsupportedOperationException notPosix) {
            return; // Windows: ACLs, not checked
        }
        Set<PosixFilePermission> perms = d.permissions();
        String me = System.getProperty("user.name", "");
        if (perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            boolean sticky = (mode(parent) & S_ISVTX) != 0;
            String owner = a == null ? null : Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
            if (!sticky) {
                throw new IOException("the folder " + parent + " is writable by every user, who could replace " + file
                        + " with a link to any file; write it in a folder only its owner can write (chmod o-w " + parent
                        + ", or another folder)");
            }
            if (owner != null && !owner.equals(me)) {
                throw new IOException(file + " belongs to " + owner + ", not to " + me + ", in the folder " + parent
                        + " that every user can write: another user created it; write the file in a folder only its"
                        + " owner can write");
            }
        }
        if (perms.contains(PosixFilePermission.GROUP_WRITE) && "root".equals(me)
                && !"root".equals(d.group().getName()) && (mode(parent) & S_ISVTX) == 0) {
            throw new IOException("the folder " + parent + " is writable by the group " + d.group().getName()
                    + ", whose members could replace " + file + " that this JVM (running as root) writes; use a"
                    + " folder only root can write (e.g. mkdir -m 755 " + parent.resolve("portres") + "), or chmod g-w "
                    + parent);
        }
    }

    /** The file type in words, from the {@code unix:mode} attribute where available. */
    private static String kind(Path file, BasicFileAttributes a) {
        if (a.isDirectory()) {
            return "a directory";
        }
        switch (mode(file) & S_IFMT) {
            case 0010000:
                return "a FIFO (named pipe), which would block the JVM until a reader opens it";
            case 0020000:
                return "a character device";
            case 0060000:
                return "a block device";
            case 0140000:
                return "a socket";
            default:
                return "a special file";
        }
    }

    private static int mode(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException | IOException | ClassCastException e) {
            return 0;
        }
    }

}
