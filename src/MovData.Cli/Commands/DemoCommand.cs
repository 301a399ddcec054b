using MovData.Cli.Demo;
using System.CommandLine;
using System.Diagnostics;

namespace MovData.Cli.Commands;

/// <summary>movdata demo: the README's first command.</summary>
internal static class DemoCommand
{
    internal static Command Create(Io io)
    {
        Argument<string?> dir = new("DIR") { Description = "where to run (a fresh subdirectory is made in it); default: the current directory", Arity = ArgumentArity.ZeroOrOne };
        Option<long> size = Sizes.Option("--size", "size of each recording (default 256M)");
        size.Required = false;
        size.DefaultValueFactory = _ => 256L << 20;
        Option<bool> onXfs = new("--on-xfs") { Description = "as root: run on a temporary loop-mounted XFS image (needs xfsprogs), to see the zero-copy path anywhere" };
        Option<bool> keep = new("--keep") { Description = "keep the files (and, with --on-xfs, the mounted image) afterwards" };
        Option<bool> verbose = Shared.Verbose();
        var command = new Command("demo", Shared.Describe(
            "Run the seed's edit end to end on two recordings: insert a hole, move a segment into it, collapse the donor; check every byte.",
            "movdata demo --size 256M"))
        {
            dir, size, onXfs, keep, verbose,
        };
        command.SetAction(p => Shared.Guard(io, p.GetValue(verbose), json: false, () =>
        {
            long bytes = p.GetValue(size);
            if (bytes < 1L << 20 || bytes % (1L << 20) != 0)
            {
                throw new ArgumentException($"--size must be a whole number of MiB, at least 1M; got {bytes}");
            }
            return p.GetValue(onXfs)
                ? OnXfs(io, bytes, p.GetValue(keep))
                : InDirectory(io, p.GetValue(dir) ?? Directory.GetCurrentDirectory(), bytes, p.GetValue(keep));
        }));
        return command;
    }

    private static int InDirectory(Io io, string parent, long size, bool keep)
    {
        if (!Directory.Exists(parent))
        {
            throw new DirectoryNotFoundException($"{parent} is not a directory");
        }
        string dir = Path.Combine(Path.GetFullPath(parent), $"movdata-demo-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        try
        {
            return new DemoScenario(io, dir, size).Run();
        }
        finally
        {
            if (keep)
            {
                io.Out.WriteLine($"kept: {dir}");
            }
            else
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    /// <summary>A sparse XFS image with reflink (and exchange-range where mkfs.xfs can), loop-mounted for the demo.</summary>
    private static int OnXfs(Io io, long size, bool keep)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new UnauthorizedAccessException("--on-xfs mounts a loop image and must run as root");
        }
        string work = Directory.CreateTempSubdirectory("movdata-demo-xfs-").FullName;
        string image = Path.Combine(work, "xfs.img"), mount = Path.Combine(work, "mnt");
        Directory.CreateDirectory(mount);
        bool mounted = false;
        try
        {
            using (FileStream f = File.Create(image))
            {
                f.SetLength(Math.Max(1L << 30, (size * 3) + (256L << 20)));
            }
            // Exchange-range needs xfsprogs 6.10+ for the mkfs option; older ones make plain reflink XFS.
            if (Run("mkfs.xfs", "-q", "-f", "-m", "reflink=1", "-i", "exchange=1", image) != 0)
            {
                Must("mkfs.xfs", "-q", "-f", "-m", "reflink=1", image);
            }
            Must("mount", "-o", "loop", image, mount);
            mounted = true;
            return InDirectory(io, mount, size, keep);
        }
        finally
        {
            if (keep)
            {
                io.Out.WriteLine($"kept: {image} mounted at {mount} (umount it, then remove {work})");
            }
            else
            {
                if (mounted)
                {
                    Run("umount", mount);
                }
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static int Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        try
        {
            using Process p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"{program} could not be started ({e.Message}); --on-xfs needs xfsprogs and util-linux", e);
        }
    }

    private static void Must(string program, params string[] args)
    {
        int code = Run(program, args);
        if (code != 0)
        {
            throw new IOException($"{program} {string.Join(' ', args)} failed with exit code {code}");
        }
    }
}
