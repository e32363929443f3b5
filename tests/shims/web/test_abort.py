"""shims/web/49_abort.js: AbortController and AbortSignal."""

from __future__ import annotations

from tests.support import call, value


def test_abort_controller_signals_listeners_once(evaluator):
    result = value(evaluator, """
      const c = new AbortController(); const s = c.signal; const seen = [];
      s.addEventListener('abort', (e) => seen.push(['listener', e.type, e.target === s]));
      s.onabort = () => seen.push(['onabort']);
      s.addEventListener('abort', () => seen.push(['once']), {once: true});
      c.abort(); c.abort('again');
      let thrown; try { s.throwIfAborted() } catch (e) { thrown = [e.name, e.message] }
      const t = AbortSignal.abort('why');
      const any = AbortSignal.any([new AbortController().signal, t]);
      let illegal; try { new AbortSignal() } catch (e) { illegal = e.name }
      return {seen, aborted: s.aborted, thrown, reason: t.reason, any: [any.aborted, any.reason], illegal,
              tag: String(s)}
    """)
    assert result == {
        "seen": [["listener", "abort", True], ["onabort"], ["once"]], "aborted": True,
        "thrown": ["AbortError", "signal is aborted without reason"], "reason": "why",
        "any": [True, "why"], "illegal": "TypeError", "tag": "[object AbortSignal]",
    }


def test_abort_signal_timeout_fires_on_the_virtual_clock(evaluator):
    result = value(evaluator, """
      const s = AbortSignal.timeout(1000);
      await new Promise(r => setTimeout(r, 1500));
      return [s.aborted, s.reason.name, s.reason.message]
    """, clock="virtual")
    assert result == [True, "TimeoutError", "signal timed out"]


def test_a_throwing_listener_is_logged_and_abort_goes_on(evaluator):
    result = call(evaluator, """
      const c = new AbortController(); let later = false;
      c.signal.addEventListener('abort', () => { throw new Error('boom') });
      c.signal.addEventListener('abort', () => { later = true });
      c.abort(); return later
    """)
    assert result.result is True
    assert [log.text for log in result.logs] == ["Uncaught Error: boom"]
