using Microsoft.Win32.SafeHandles;
using MovData.Native;
using MovData.Operations;
using MovData.Tests.Harness;

namespace MovData.Tests.Operations;

/// <summary>
/// The read-ahead a step of many small writes starts first (<see cref="PageCache.PrefetchPartialPages"/>):
/// on each disk filesystem, a file's pages dropped from the cache, then exactly the pages the
/// writes cover only in part are read in, and no other, as mincore(2) says in a C program.
/// (tmpfs is left out: its pages are the file, never dropped.)
/// </summary>
public sealed class PageCacheTests
{
    public static TheoryData<string> Disks => new(Scratch.Names.Where(n => n != "tmpfs"));

    [Theory, MemberData(nameof(Disks))]
    public void PrefetchPartialPages_ReadsThePagesWritesCoverInPart_AndNoOthers(string fs)
    {
        using ScratchDir dir = Scratch.On(fs);
        string path = dir.File("fragmented.mp4");
        long page = Environment.SystemPageSize;
        File.WriteAllBytes(path, new byte[64 * page]);
        using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        Interop.ThrowIfFailed(Interop.FSync(h), "fsync");
        Assert.Equal(0, Interop.DropCachedPages(h));
        Assert.Empty(Resident(path));

        PageCache.PrefetchPartialPages(h, [
            (10 * page + 5, 8),          // inside page 10
            (20 * page, page),           // page 20 whole: written, not read
            (30 * page + 100, 2 * page), // the end of 30, all of 31, the start of 32
            (40 * page, 0),              // nothing
        ]);

        // The reads were started, not waited for: give them the time a disk takes.
        long[] expected = [10, 30, 32];
        long[] found = [];
        for (int i = 0; i < 100 && !found.SequenceEqual(expected); i++)
        {
            Thread.Sleep(20);
            found = Resident(path);
        }
        Assert.Equal(expected, found);
    }

    /// <summary>The file's pages in the page cache, by mincore(2) on a mapping of it.</summary>
    private static long[] Resident(string path) =>
        [.. CProgram.Values($$"""
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/mman.h>
            #include <sys/stat.h>
            #include <unistd.h>
            int main(void) {
                int fd = open("{{path}}", O_RDONLY);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) != 0) return 1;
                long page = sysconf(_SC_PAGESIZE), pages = (st.st_size + page - 1) / page;
                void *map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
                unsigned char in[4096];
                if (map == MAP_FAILED || pages > 4096 || mincore(map, st.st_size, in) != 0) return 2;
                for (long p = 0; p < pages; p++)
                    if (in[p] & 1) printf("page%ld %ld\n", p, p);
                return 0;
            }
            """).Values.Order()];
}
