using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using MovData.Native;
using MovData.Operations;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>
/// The check every cut, restore and defragment makes first, that no other process writes the
/// file (<see cref="OpenWriters.Refuse"/>), on each scratch filesystem, with real processes
/// holding the file: where this handle is the file's only open a write lease says so and is
/// dropped at once; otherwise /proc is walked, and only a writer is refused.
/// </summary>
public sealed class OpenWritersTests
{
    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Refuse_OfTheFilesOnlyOpen_GoesOn_AndLeavesNoLeaseBehind(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string path = dir.File("rec.ts");
        File.WriteAllBytes(path, new byte[64 << 10]);
        using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);

        Assert.True(WriteLease.OnlyOpen(h));
        OpenWriters.Refuse(FileFacts.Of(h, "file"), "cut");

        // A lease still held would make the next open wait (and one with O_NONBLOCK fail).
        Assert.Equal(Interop.F_UNLCK, Interop.LeaseHeld(h));
        (int code, string output) = Tools.Run("python3", "-c", "import os, sys; os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)); print('opened')", path);
        Assert.True(code == 0, output);
        Assert.Equal("opened", output.Trim());
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Refuse_OfAFileAnotherProcessReads_GoesOn(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string path = dir.File("rec.ts");
        File.WriteAllBytes(path, new byte[64 << 10]);
        using Process reader = Hold(path, "rb");
        try
        {
            using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            Assert.False(WriteLease.OnlyOpen(h)); // the reader's open: /proc is walked
            OpenWriters.Refuse(FileFacts.Of(h, "file"), "cut");
        }
        finally
        {
            reader.Kill();
            reader.WaitForExit();
        }
    }

    [Theory, MemberData(nameof(Scratch.All), MemberType = typeof(Scratch))]
    public void Refuse_OfAFileAnotherProcessWrites_NamesTheWriter(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string path = dir.File("rec.ts");
        File.WriteAllBytes(path, new byte[64 << 10]);
        using Process writer = Hold(path, "ab");
        try
        {
            using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            Assert.False(WriteLease.OnlyOpen(h));
            IOException e = Assert.ThrowsAny<IOException>(() => OpenWriters.Refuse(FileFacts.Of(h, "file"), "cut"));
            Assert.Equal(Interop.EBUSY, e.HResult);
            Assert.Contains($"cut refused: the file is open for writing by pid {writer.Id} (python3)", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            writer.Kill();
            writer.WaitForExit();
        }
    }

    /// <summary>A python3 process that holds <paramref name="path"/> open in
    /// <paramref name="mode"/> until killed, started and open when this returns.</summary>
    private static Process Hold(string path, string mode)
    {
        Process p = Process.Start(new ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import sys, time; f = open(sys.argv[1], sys.argv[2]); print('open', flush=True); time.sleep(60)", path, mode },
            RedirectStandardOutput = true,
        })!;
        Assert.Equal("open", p.StandardOutput.ReadLine());
        return p;
    }
}
