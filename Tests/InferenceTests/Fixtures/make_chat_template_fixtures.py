#!/usr/bin/env python3
"""Renders real Hugging Face chat templates with jinja2 exactly as transformers does, so the
Swift Jinja interpreter can be checked byte for byte. Writes chat/chat_templates.json next to
this script. Needs jinja2 (3.1.6 was used). Run: python3 make_chat_template_fixtures.py

Environment mirrors transformers.utils.chat_template_utils._compile_jinja_template:
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]),
raise_exception / strftime_now globals and the json.dumps-based tojson filter; render() gets
messages, tools (None when absent), documents=None, add_generation_prompt and the special tokens.
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class TemplateError(Exception):
    pass


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

TEMPLATES = {}

# Source: llama.cpp tests/test-chat-template.cpp (ggerganov/llama.cpp @037af53), teknium/OpenHermes-2.5-Mistral-7B (ChatML)
TEMPLATES["chatml_openhermes"] = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}", "<s>", "<|im_end|>")

# Source: llama.cpp tests/test-chat-template.cpp, mistralai/Mistral-7B-Instruct-v0.2
TEMPLATES["mistral_v0_2"] = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}", "<s>", "</s>")

# Source: floneum/kalosm test_mistral_chat_template, the updated mistralai/Mistral-7B-Instruct-v0.1 / v0.3 template
TEMPLATES["mistral_v0_3"] = ("{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n", "<s>", "</s>")

# Source: llama.cpp tests/test-chat-template.cpp, google/gemma-7b-it (Gemma 2 uses the same body after bos_token)
TEMPLATES["gemma"] = ("{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}", "<bos>", "<eos>")

# Source: llama.cpp tests/test-chat-template.cpp, "Phi-3" (microsoft/Phi-3-mini-4k-instruct)
TEMPLATES["phi3"] = ("{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|> ' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|> ' }}{% else %}{{ eos_token }}{% endif %}", "<s>", "<|endoftext|>")

# Source: llama.cpp tests/test-chat-template.cpp, "Phi-3 New"
TEMPLATES["phi3_new"] = ("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}", "<s>", "<|endoftext|>")

# Source: llama.cpp tests/test-chat-template.cpp, "Llama-3" (meta-llama/Meta-Llama-3-8B-Instruct)
TEMPLATES["llama3"] = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}", "<|begin_of_text|>", "<|eot_id|>")

# Source: meta-llama/Llama-3.2-*-Instruct chat_template, as quoted in a render_chat_template.py on GitHub (tools, strftime_now, tojson(indent=4))
TEMPLATES["llama3_2"] = (r"""{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message #}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{#- Custom tools are passed in a user message with some extra guidance #}
{%- if tools_in_user_message and not tools is none %}
    {#- Extract the first user message so we can plug it in here #}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
{%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\n\n' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.\n\n" }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}""", "<|begin_of_text|>", "<|eot_id|>")

# Source: Qwen/Qwen2.5-*-Instruct chat_template, as quoted in floneum/kalosm test_qwen_chat_template
TEMPLATES["qwen2_5"] = (r"""{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{{\"name\": <function-name>, \"arguments\": <args-json-object>}}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}""", None, "<|im_end|>")

# Source: llama.cpp models/templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja
TEMPLATES["deepseek_r1_distill"] = (r"""{% if not add_generation_prompt is defined -%}
  {%- set add_generation_prompt = false -%}
{%- endif -%}
{%- set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') -%}
{%- for message in messages -%}
  {%- if message['role'] == 'system' -%}
    {%- set ns.system_prompt = message['content'] -%}
  {%- endif -%}
{%- endfor -%}{{bos_token}}{{ns.system_prompt}}
{%- for message in messages -%}
  {%- if message['role'] == 'user' -%}
    {%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}
  {%- endif -%}
  {%- if message['role'] == 'assistant' and message['tool_calls'] -%}
    {%- set ns.is_tool = false -%}
    {%- for tool in message['tool_calls']-%}
      {%- if not ns.is_first -%}
        {{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}
        {%- set ns.is_first = true -%}
      {%- else -%}
        {{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '```json' + '\n' + tool['function']['arguments'] + '\n' + '```' + '<｜tool▁call▁end｜>'}}
      {%- endif -%}
    {%- endfor -%}
    {{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}
  {%- endif -%}
  {%- if message['role'] == 'assistant' and message['content'] is not none -%}
    {%- if ns.is_tool -%}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}
      {%- set ns.is_tool = false -%}
    {%- else -%}
      {%- set content = message['content'] -%}
      {%- if '</think>' in content -%}
        {%- set content = content.split('</think>')[-1] -%}
      {%- endif -%}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}
    {%- endif -%}
  {%- endif -%}
  {%- if message['role'] == 'tool' -%}
    {%- set ns.is_tool = true -%}
    {%- if ns.is_output_first -%}{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}
      {%- set ns.is_output_first = false -%}
      {%- else -%}{{'\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}
    {%- endif -%}
  {%- endif -%}
{%- endfor -%}
{%- if ns.is_tool -%}{{'<｜tool▁outputs▁end｜>'}}
{%- endif -%}
{%- if add_generation_prompt and not ns.is_tool -%}{{'<｜Assistant｜><think>\n'}}
{%- endif %}""", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>")

# Source: llama.cpp tests/test-chat-template.cpp, deepseek-ai/deepseek-coder-33b-instruct
TEMPLATES["deepseek_coder"] = ("{% if not add_generation_prompt is defined %}\n{% set add_generation_prompt = false %}\n{% endif %}\n{%- set ns = namespace(found=false) -%}\n{%- for message in messages -%}\n    {%- if message['role'] == 'system' -%}\n        {%- set ns.found = true -%}\n    {%- endif -%}\n{%- endfor -%}\n{{bos_token}}{%- if not ns.found -%}\n{{'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer\\n'}}\n{%- endif %}\n{%- for message in messages %}\n    {%- if message['role'] == 'system' %}\n{{ message['content'] }}\n    {%- else %}\n        {%- if message['role'] == 'user' %}\n{{'### Instruction:\\n' + message['content'] + '\\n'}}\n        {%- else %}\n{{'### Response:\\n' + message['content'] + '\\n<|EOT|>\\n'}}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n{% if add_generation_prompt %}\n{{'### Response:'}}\n{% endif %}", "<｜begin▁of▁sentence｜>", "<|EOT|>")

# Source: HuggingFaceH4/zephyr-7b-beta (also TinyLlama-1.1B-Chat), as quoted in trl's examples (ZEPHYR_CHAT_TEMPLATE)
TEMPLATES["zephyr"] = ("{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}", "<s>", "</s>")

# Source: llama.cpp tests/test-chat-template.cpp, CohereForAI/c4ai-command-r-plus
TEMPLATES["command_r"] = ("{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif false == true %}{% set loop_messages = messages %}{% set system_message = 'You are Command-R, a brilliant, sophisticated, AI-assistant trained to assist human users by providing thorough responses. You are trained by Cohere.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% if system_message != false %}{{ '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + system_message + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% set content = message['content'] %}{% if message['role'] == 'user' %}{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% elif message['role'] == 'assistant' %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>'  + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}", "<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>")

# Source: llama.cpp tests/test-chat-template.cpp, bofenghuang/vigogne-2-70b-chat (exercises .strip() and a default system prompt)
TEMPLATES["vigogne"] = ("{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif true == true and not '<<SYS>>' in messages[0]['content'] %}{% set loop_messages = messages %}{% set system_message = 'Vous êtes Vigogne, un assistant IA créé par Zaion Lab. Vous suivez extrêmement bien les instructions. Aidez autant que vous le pouvez.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'system' %}{{ '<<SYS>>\\n' + content.strip() + '\\n<</SYS>>\\n\\n' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}", "<s>", "</s>")

# Source: llama.cpp tests/test-chat-template.cpp, openchat/openchat-3.5-0106 (exercises str.title())
TEMPLATES["openchat"] = ("{{ bos_token }}{% for message in messages %}{{ 'GPT4 Correct ' + message['role'].title() + ': ' + message['content'] + '<|end_of_turn|>'}}{% endfor %}{% if add_generation_prompt %}{{ 'GPT4 Correct Assistant:' }}{% endif %}", "<s>", "<|end_of_turn|>")

# Source: llama.cpp tests/test-chat-template.cpp, TheBloke/FusionNet_34Bx2_MoE-AWQ (range(), literal "\n" text between tags)
TEMPLATES["fusionnet"] = ("{%- for idx in range(0, messages|length) -%}\\n{%- if messages[idx]['role'] == 'user' -%}\\n{%- if idx > 1 -%}\\n{{- bos_token + '[INST] ' + messages[idx]['content'] + ' [/INST]' -}}\\n{%- else -%}\\n{{- messages[idx]['content'] + ' [/INST]' -}}\\n{%- endif -%}\\n{% elif messages[idx]['role'] == 'system' %}\\n{{- '[INST] <<SYS>>\\\\n' + messages[idx]['content'] + '\\\\n<</SYS>>\\\\n\\\\n' -}}\\n{%- elif messages[idx]['role'] == 'assistant' -%}\\n{{- ' '  + messages[idx]['content'] + ' ' + eos_token -}}\\n{% endif %}\\n{% endfor %}", "<s>", "</s>")

SYSTEM = {"role": "system", "content": "You are a helpful assistant"}
CONVERSATIONS = {
    "single_user": [{"role": "user", "content": "Hello"}],
    "system_user": [SYSTEM, {"role": "user", "content": "Hello"}],
    "multi_turn": [SYSTEM, {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there"},
                   {"role": "user", "content": "Who are you"}, {"role": "assistant", "content": "   I am an assistant   "},
                   {"role": "user", "content": "Another question, with «unicode» and 'quotes' \"here\"\n  and a newline"}],
    "no_system_multi": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "<think>hmm</think>Hi!"},
                        {"role": "user", "content": "Bye"}],
    "non_alternating": [{"role": "user", "content": "A"}, {"role": "user", "content": "B"}],
}

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather — in °C",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City, e.g. \"Paris\""},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
                "flags": {"type": "array", "items": {"type": "boolean"}, "default": [True, False, None]},
            },
            "required": ["location"],
        },
    },
}]
TOOL_CONVERSATION = [
    SYSTEM,
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"location": "Paris", "days": 2}}}]},
    {"role": "tool", "content": "{\"temp\": 21.5}"},
    {"role": "assistant", "content": "It is 21.5 °C."},
    {"role": "user", "content": "Thanks"},
]
TOOL_TEMPLATES = {"llama3_2", "qwen2_5"}
# Deterministic date for templates that call strftime_now unless date_string is given.
EXTRA = {"llama3_2": {"date_string": "26 Jul 2024"}}

SNIPPETS = [
    "a  \n {{- 'b' -}} \n  c",
    "a\n  {%- if true %}x{% endif -%}\n  b",
    "{% if true %}\nyes\n{% endif %}\nend",
    "  {% if true %}\n    x\n  {% endif %}\n",
    "a\n  {{ 'v' }}\n",
    "  {%+ if true %}x{% endif %}",
    "{# c #}\n  {# d #}\nz",
    "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}|{% endfor %}",
    "{% for x in [1, 2, 3] if x > 1 %}{{ x }}{% else %}none{% endfor %}",
    "{% for x in [] %}{{ x }}{% else %}none{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for x in [1,2,3,4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}",
    "{% set ns = namespace(n=0, found=false) %}{% set plain = 0 %}{% for x in [1,2,3] %}{% set ns.n = ns.n + x %}{% set plain = x %}{% endfor %}{{ ns.n }} {{ plain }}",
    "{% macro greet(name, greeting='Hi') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Yo') }}",
    "{{ xs[1:] }} {{ xs[::-1] }} {{ xs[:-1] }} {{ 'hello'[::-1] }} {{ 'hello'[1:3] }} {{ xs[-1] }}",
    "{{ '  x  ' | trim }}|{{ ['a','b'] | join(', ') }}|{{ 'ab' | upper }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}",
    "{{ x | default('d') }}|{{ '' | default('e', true) }}|{{ [3,1,2] | sort | list }}|{{ [1,1,2] | unique | list }}|{{ [1,2] | reverse | list }}",
    "{{ ms | map(attribute='role') | join }}|{{ ms | selectattr('role', 'equalto', 'a') | list | length }}|{{ ms | rejectattr('role', 'eq', 'a') | map(attribute='role') | first }}",
    "{{ '3' | int + 1 }}|{{ 2 | float }}|{{ -3 | abs }}|{{ 2.567 | round(2) }}|{{ 'a b c' | wordcount }}|{{ 'a\nb' | indent(2) }}|{{ 'x' | replace('x', 'y') }}",
    "{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ ms | tojson }}",
    "{{ ' x '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'a,b'.split(',') }}|{{ 'ab'.startswith('a') }}|{{ 'ab'.endswith(('x', 'b')) }}|{{ ' a  b '.split() }}",
    "{{ d.get('a') }}|{{ d.get('z', 5) }}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d.get('zz') }}",
    "{{ true }} {{ none }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1e20 }} {{ 1.5e-7 }}",
    "{{ ['a', 1, none, true] }} {{ {'k': 'v', 'n': [1.5]} }} {{ \"it's\" ~ 1 }} {{ ms }}",
    "{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ 'a' is string }} {{ {} is mapping }} {{ 3 is odd }} {{ 'a' in 'cat' }} {{ 1 not in [2] }} {{ 'y' if false else 'n' }}",
    "{{ d.missing }}|{{ d['missing'] is defined }}|{{ (d.missing or 'fallback') }}|{{ 'yes' if d.a }}|{{ 1 < 2 < 3 }}",
    "{{ 'abc' | list }}|{{ (d | items | list)[0][0] }}|{{ ms | map('string') | list | length }}|{{ [1, 2, 3] | select('odd') | list }}|{{ [1, 2, 3] | reject('odd') | list }}",
    "{{ 'Hello World' | lower }}|{{ 'a-b c' | title }}|{{ 'x\ny\n' | indent(4, first=true) }}|{{ [3, 1] | sort(reverse=true) }}|{{ 'ab' | length }}|{{ d | length }}",
    "{% set s %}block {{ 1 }}{% endset %}[{{ s }}]{% set t = 'q' %}{% if true %}{% set t = 'r' %}{% endif %}{{ t }}",
    "{{ 'a' ~ none ~ true }}|{{ [1] + [2] }}|{{ 'ab' * 2 }}|{{ 10 - 2.5 }}|{{ -(3) }}|{{ not true }}|{{ 5 is even }}|{{ 'abc'.replace('b', 'B').upper() }}",
    "{% for i in [1,2] %}{% if i == 1 %}{% set y = 5 %}{% endif %}[{{ y }}]{% endfor %}",
    "{% set g = 7 %}{% macro m() %}{{ g }}{% endmacro %}{% for g in [1] %}{{ m() }}{% endfor %}",
    "{{ 1 if none }}|{{ none | string }}|{{ 3.9 | int }}|{{ 'a' < 'b' }}|{{ '\\u00e9\\x41' }}|{{ [1,2,3] | length > 2 }}",
    "{{ {'a': 1, 'b': [1, 2]} | tojson(separators=(',', ':')) }}|{{ 1.0 | tojson }}|{{ 'x\\ty' | tojson }}",
    "{{ 10 / 4 }}|{{ 2 * 3.0 }}|{{ 1 == 1.0 }}|{{ true == 1 }}|{{ [1, 2] == [1, 2] }}|{{ 2 ** -1 }}|{{ 7.5 // 2 }}",
    "{% for a in [[1, 2], [3, 4]] %}{% for b in a %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }};{% endfor %}",
    "{{ 'a\\tb' }}|{{ ['a\\nb', \"it's\"] }}|{{ 'x' ~ ['q'] }}|{{ ms[0].role }}|{{ ms[0]['role'] }}|{{ ms | last }}",
    "{%- for m in ms -%}\n  {{- m.role -}}\n{%- endfor %}\n{% if xs %}\n  yes\n{%- endif %}\n",
    "{{ ms | selectattr('role', 'defined') | list | length }}|{{ xs | map('string') | join('-') }}|{{ ' A b '.lower().strip().title() }}|{{ 'a.b.c'.split('.', 1) }}",
    "{% for x in xs %}{{ loop.cycle('odd', 'even') }} {% endfor %}|{% for k, v in {'b': 2, 'A': 1, 'c': 0} | dictsort %}{{ k }}{{ v }}{% endfor %}|{% for k, v in {'b': 2, 'a': 1} | dictsort(by='value', reverse=true) %}{{ k }}{% endfor %}",
]
SNIPPET_CONTEXT = {"xs": [1, 2, 3], "d": {"b": 1, "a": [1, "é\""], "c": None}, "ms": [{"role": "a"}, {"role": "b"}]}


def render(source, **ctx):
    try:
        return {"output": env.from_string(source).render(**ctx)}
    except TemplateError as e:
        return {"error": str(e)}
    except jinja2.TemplateError as e:
        return {"error": f"{type(e).__name__}: {e}", "jinja_error": True}


def main():
    cases = []
    for name, (source, bos, eos) in TEMPLATES.items():
        convs = dict(CONVERSATIONS)
        if name in TOOL_TEMPLATES:
            convs["tool_use"] = TOOL_CONVERSATION
        for conv_name, messages in convs.items():
            for agp in (True, False):
                tools = TOOLS if conv_name == "tool_use" else None
                extra = EXTRA.get(name, {})
                ctx = {"messages": messages, "tools": tools, "documents": None, "add_generation_prompt": agp, **extra}
                if bos is not None:
                    ctx["bos_token"] = bos
                if eos is not None:
                    ctx["eos_token"] = eos
                case = {"name": f"{name}/{conv_name}/agp={agp}", "template": name, "messages": messages,
                        "tools": tools, "add_generation_prompt": agp, "bos_token": bos, "eos_token": eos, "extra": extra}
                case.update(render(source, **ctx))
                cases.append(case)
    snippets = []
    for s in SNIPPETS:
        r = {"template": s}
        r.update(render(s, **SNIPPET_CONTEXT))
        snippets.append(r)
    out = {"jinja2_version": jinja2.__version__,
           "templates": {k: {"source": v[0], "bos_token": v[1], "eos_token": v[2]} for k, v in TEMPLATES.items()},
           "cases": cases, "snippets": snippets, "snippet_context": SNIPPET_CONTEXT}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chat", "chat_templates.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases and {len(snippets)} snippets to {path}")


if __name__ == "__main__":
    main()
