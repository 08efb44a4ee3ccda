"""Reading a CloudFormation/SAM template as CloudFormation does, for the AWS driver and tests.

Only what the core's template uses is resolved: ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``,
``Fn::If`` and the condition functions. PyYAML is imported on first use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Resolver", "load_cfn_yaml"]

_TAGS = ("Ref", "GetAtt", "Sub", "If", "Not", "Equals", "And", "Or", "Join", "Select", "Split",
         "ImportValue", "FindInMap", "Base64", "Condition", "GetAZs", "Cidr")


def load_cfn_yaml(text: str) -> dict[str, Any]:
    """A CloudFormation YAML template in the JSON form (``!Ref X`` becomes ``{"Ref": "X"}``)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def constructor(tag: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
        name = "Ref" if tag == "Ref" else ("Condition" if tag == "Condition" else f"Fn::{tag}")

        def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
            value: Any
            if isinstance(node, yaml.ScalarNode):
                value = loader.construct_scalar(node)
                if tag == "GetAtt":
                    value = str(value).split(".", 1)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                assert isinstance(node, yaml.MappingNode)
                value = loader.construct_mapping(node, deep=True)
            return {name: value}

        return construct

    for tag in _TAGS:
        Loader.add_constructor(f"!{tag}", constructor(tag))
    loaded = yaml.load(text, Loader=Loader)
    if not isinstance(loaded, dict):
        raise ValueError("a template is a YAML mapping")
    return loaded


class Resolver:
    """Evaluates intrinsic functions against known parameter values and resource attributes.

    Args:
        template: the template (JSON form).
        parameters: parameter values; a parameter's ``Default`` otherwise.
        ref: the value of ``Ref`` for a resource's logical ID.
        get_att: the value of ``Fn::GetAtt`` for (logical ID, attribute).
    """

    def __init__(self, template: Mapping[str, Any], parameters: Mapping[str, str],
                 ref: Callable[[str], str], get_att: Callable[[str, str], str]) -> None:
        self._template = template
        self._parameters = {
            name: str(parameters.get(name, spec.get("Default", "")))
            for name, spec in (template.get("Parameters") or {}).items()}
        self._parameters.update({"AWS::Region": parameters.get("AWS::Region", "us-east-1"),
                                 "AWS::StackName": parameters.get("AWS::StackName", "deepalert"),
                                 "AWS::AccountId": parameters.get("AWS::AccountId",
                                                                  "123456789012"),
                                 "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"})
        self._ref = ref
        self._get_att = get_att
        self._conditions: dict[str, bool] = {}

    def parameter(self, name: str) -> str:
        """A parameter's value."""
        return self._parameters[name]

    def condition(self, name: str) -> bool:
        """A named condition's value."""
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self._template["Conditions"][name]))
        return self._conditions[name]

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its result."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self._parameters[arg] if arg in self._parameters else self._ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self._get_att(logical, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                left, right = (self.resolve(v) for v in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(v) for v in arg)
            if key == "Fn::Or":
                return any(self.resolve(v) for v in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Join":
                sep, items = arg
                return str(sep).join(str(i) for i in self.resolve(items))
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, names = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in names.items()}

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if name in self._parameters:
                return self._parameters[name]
            if "." in name:
                logical, attribute = name.split(".", 1)
                return self._get_att(logical, attribute)
            return self._ref(name)

        return re.sub(r"\$\{([^}]+)\}", one, text)
