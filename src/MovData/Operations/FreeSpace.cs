using MovData.Native;

namespace MovData.Operations;

/// <summary>What a full filesystem looks like to the layers above: an error whose errno is
/// ENOSPC (or EDQUOT, a quota's), so that their messages can say to make room.</summary>
internal static class FreeSpace
{
    /// <summary>Whether <paramref name="e"/>, or what it wraps, is ENOSPC or EDQUOT.</summary>
    internal static bool Exhausted(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is IOException { HResult: Interop.ENOSPC or Interop.EDQUOT })
            {
                return true;
            }
        }
        return false;
    }
}
