"""shims/fetch/23_response.js and 22_body.js: Response, its statics and body readers."""

from __future__ import annotations

from tests.support import value


def test_response_constructor_and_body_readers(evaluator):
    result = value(evaluator, """
      const r = new Response('h\\u00e9', {status: 201, statusText: 'Made', headers: {'X-Y': 'z'}});
      const c = r.clone();
      const text = await r.text();
      const bytes = new Uint8Array(await c.arrayBuffer());
      let again; try { await r.text() } catch (e) { again = e.name }
      return {status: r.status, ok: r.ok, statusText: r.statusText, type: r.type, url: r.url,
              ct: r.headers.get('content-type'), xy: r.headers.get('x-y'), text, bytes: [...bytes],
              used: r.bodyUsed, again, json: await new Response('{"a":[1]}').json(),
              empty: await new Response().text(), bin: [...new Uint8Array(await new Response(new Uint8Array([1, 2])).arrayBuffer())]}
    """)
    assert result == {
        "status": 201, "ok": True, "statusText": "Made", "type": "default", "url": "",
        "ct": "text/plain;charset=UTF-8", "xy": "z", "text": "h\u00e9", "bytes": [104, 195, 169],
        "used": True, "again": "TypeError", "json": {"a": [1]}, "empty": "", "bin": [1, 2],
    }


def test_response_statics(evaluator):
    result = value(evaluator, """
      const j = Response.json({a: 1}, {status: 202});
      const e = Response.error();
      const r = Response.redirect('https://Example.com/x', 307);
      let bad; try { Response.redirect('/x', 200) } catch (err) { bad = err.name }
      let range; try { new Response('x', {status: 99}) } catch (err) { range = err.name }
      let nullBody; try { new Response('x', {status: 204}) } catch (err) { nullBody = err.name }
      return [j.status, j.headers.get('content-type'), await j.json(), e.type, e.status,
              r.status, r.headers.get('location'), bad, range, nullBody]
    """)
    assert result == [202, "application/json", {"a": 1}, "error", 0, 307, "https://example.com/x",
                      "TypeError", "RangeError", "TypeError"]


def test_json_of_an_invalid_body_rejects_with_a_syntax_error(evaluator):
    assert value(evaluator, "return await new Response('{').json().catch(e => e.name)") == "SyntaxError"


def test_a_bom_is_stripped_by_text_but_kept_by_array_buffer(evaluator):
    result = value(evaluator, """
      return [await new Response('\\ufeffok').text(), (await new Response('\\ufeffok').arrayBuffer()).byteLength]
    """)
    assert result == ["ok", 5]
